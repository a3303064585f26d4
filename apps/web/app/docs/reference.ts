import { buildOpenApiDocument } from '@portal/api';

/** What the static reference shows of one operation: enough to read, not to try (the explorer does that). */
export interface ReferenceOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  /** Whether it needs the psession cookie. */
  session: boolean;
  parameters: { name: string; in: string; required: boolean; type: string; description: string }[];
  /** The request body's schema, when there is one. */
  body: { type: string; required: boolean } | null;
  responses: { status: string; description: string; type: string | null }[];
}

export interface Reference {
  title: string;
  version: string;
  description: string;
  tags: { name: string; description: string; operations: ReferenceOperation[] }[];
  schemas: string[];
}

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A schema as one line: its component name where it has one, else its shape. */
export function schemaLabel(schema: unknown): string {
  if (!isJson(schema)) return 'any';
  if (typeof schema.$ref === 'string') return schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) return list.map(schemaLabel).join(' | ');
  }
  // An error answer is `Error` narrowed to its codes (openapi.ts): the name says it.
  if (Array.isArray(schema.allOf)) {
    const parts: unknown[] = schema.allOf;
    const named = parts.find((part) => isJson(part) && typeof part.$ref === 'string');
    return named ? schemaLabel(named) : parts.map(schemaLabel).join(' & ');
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.type === 'array') return `${schemaLabel(schema.items)}[]`;
  if (schema.type === 'object' || isJson(schema.properties)) {
    const properties = isJson(schema.properties) ? Object.keys(schema.properties) : [];
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    return `{ ${properties.map((name) => (required.has(name) ? name : `${name}?`)).join(', ')} }`.replace('{  }', '{}');
  }
  return typeof schema.type === 'string' ? schema.type : Array.isArray(schema.type) ? schema.type.join(' | ') : 'any';
}

function contentSchema(holder: unknown): string | null {
  if (!isJson(holder) || !isJson(holder.content)) return null;
  const first = Object.values(holder.content)[0];
  return isJson(first) && first.schema !== undefined ? schemaLabel(first.schema) : null;
}

function operationOf(method: string, path: string, operation: Json): ReferenceOperation {
  const parameters = Array.isArray(operation.parameters) ? operation.parameters.filter(isJson) : [];
  const body = isJson(operation.requestBody) ? operation.requestBody : null;
  const responses = isJson(operation.responses) ? operation.responses : {};
  return {
    id: text(operation.operationId) || `${method}-${path}`,
    method: method.toUpperCase(),
    path,
    summary: text(operation.summary),
    description: text(operation.description),
    session: Array.isArray(operation.security) && operation.security.length > 0,
    parameters: parameters.map((parameter) => ({
      name: text(parameter.name),
      in: text(parameter.in),
      required: parameter.required === true,
      type: schemaLabel(parameter.schema),
      description: text(parameter.description),
    })),
    body: body ? { type: contentSchema(body) ?? 'any', required: body.required === true } : null,
    responses: Object.entries(responses).map(([status, response]) => ({
      status,
      description: isJson(response) ? text(response.description) : '',
      type: contentSchema(response),
    })),
  };
}

/** The served OpenAPI document, read into what the page renders: operations by tag, in the document's tag order. */
export function toReference(document: Json): Reference {
  const info = isJson(document.info) ? document.info : {};
  const tags = (Array.isArray(document.tags) ? document.tags.filter(isJson) : []).map((tag) => ({
    name: text(tag.name),
    description: text(tag.description),
    operations: [] as ReferenceOperation[],
  }));
  const byName = new Map(tags.map((tag) => [tag.name, tag]));
  for (const [path, item] of Object.entries(isJson(document.paths) ? document.paths : {})) {
    if (!isJson(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isJson(operation)) continue;
      const name = Array.isArray(operation.tags) ? text(operation.tags[0]) : '';
      let tag = byName.get(name);
      if (!tag) {
        tag = { name: name || 'other', description: '', operations: [] };
        byName.set(name, tag);
        tags.push(tag);
      }
      tag.operations.push(operationOf(method, path, operation));
    }
  }
  const components = isJson(document.components) ? document.components : {};
  return {
    title: text(info.title),
    version: text(info.version),
    description: text(info.description),
    tags: tags.filter((tag) => tag.operations.length > 0),
    schemas: Object.keys(isJson(components.schemas) ? components.schemas : {}),
  };
}

let reference: Reference | undefined;

/** The same document /v1/openapi.json serves (one generator), read once per process: it is fixed at build time. */
export function apiReference(): Reference {
  reference ??= toReference(buildOpenApiDocument());
  return reference;
}
