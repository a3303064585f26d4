/** prisma/postgres/schema.prisma's text, derived from prisma/schema.prisma's. */
export declare function derivePostgresSchema(sqliteSchema: string): string;
