import type { NextConfig } from 'next';

const config: NextConfig = {
  // The API packages are TypeScript sources; the UI only imports contracts and types.
  transpilePackages: ['@portal/contracts', '@portal/api'],
  serverExternalPackages: [
    'better-sqlite3',
    'pg',
    '@prisma/client',
    '@prisma/adapter-better-sqlite3',
    '@prisma/adapter-pg',
  ],
  // `turbo run typecheck` type-checks the app; the build does not do it twice.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  // The server compresses pages itself, with brotli where accepted (server/compress.ts); Next's is gzip only.
  compress: false,
  reactStrictMode: true,
};

export default config;
