import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LanyardError } from '../../../src/errors/lanyard-error.ts';
import { DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY } from '../../../src/gateway/model.ts';
import { importOpenApi } from '../../../src/gateway/openapi-import.ts';
import { compileTemplate } from '../../../src/gateway/runtime/routing.ts';

const PETSTORE = `openapi: 3.0.3
info:
  title: Swagger Petstore
  version: 1.0.0
servers:
  - url: https://{region}.petstore.example.com/{basePath}/
    variables:
      region:
        default: westeurope
        enum: [westeurope, eastus]
      basePath:
        default: v1
  - url: http://localhost:8080/v1
paths:
  /pets:
    get:
      summary: List all pets
      operationId: listPets
      parameters:
        - name: limit
          in: query
          schema: { type: integer, format: int32 }
      responses:
        '200':
          description: A paged array of pets
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pets'
    post:
      summary: Create a pet
      operationId: createPets
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Pet'
      responses:
        '201': { description: Null response }
  /pets/{petId}:
    parameters:
      - name: petId
        in: path
        required: true
        schema: { type: string }
    get:
      summary: Info for a specific pet
      operationId: showPetById
      responses:
        '200':
          description: Expected response to a valid request
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pet'
    delete:
      operationId: deletePet
      responses:
        '204': { description: Deleted }
  /pets/{petId}/photos/{photoId}:
    get:
      responses:
        '200': { description: A photo }
    put:
      operationId: 'pets/photos: upload'
      responses:
        '200': { description: Stored }
  /stores/latest:
    get:
      summary: The newest store
      operationId: getLatestStore
      responses:
        '200': { description: A store }
components:
  securitySchemes:
    petKey:
      type: apiKey
      in: header
      name: X-API-Key
    apim:
      type: apiKey
      in: header
      name: Ocp-Apim-Subscription-Key
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: { type: integer, format: int64 }
        name: { type: string }
    Pets:
      type: array
      items:
        $ref: '#/components/schemas/Pet'
`;

const SWAGGER = JSON.stringify({
  swagger: '2.0',
  info: { title: 'Orders API', version: '2024-01-01' },
  host: 'orders.contoso.com',
  basePath: '/api/',
  schemes: ['wss', 'https', 'http'],
  paths: {
    '/orders': {
      get: { operationId: 'Orders_List', summary: 'List orders', responses: { 200: { description: 'ok' } } },
      post: { operationId: 'Orders_Create', responses: { 201: { description: 'created' } } },
    },
    '/orders/{orderId}': {
      get: {
        operationId: 'Orders_Get',
        parameters: [{ name: 'orderId', in: 'path', required: true, type: 'string' }],
        responses: { 200: { description: 'ok', schema: { $ref: '#/definitions/Order' } } },
      },
      patch: { operationId: 'Orders_Update', summary: '  Update an order  ', responses: {} },
    },
    '/orders/{orderId}/lines': {
      get: { responses: {} },
    },
  },
  securityDefinitions: {
    azure_auth: { type: 'oauth2', flow: 'implicit', authorizationUrl: 'https://login.example.com/authorize' },
  },
  'x-ms-paths': { '/orders?op=archive': { post: { operationId: 'Orders_Archive', responses: {} } } },
  'x-ms-parameterized-host': { hostTemplate: '{account}.contoso.com' },
  definitions: { Order: { type: 'object' } },
});

function refusal(fn: () => unknown, message: RegExp): LanyardError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof LanyardError, `expected a LanyardError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_VALIDATION');
  assert.match(caught.message, message);
  assert.ok(caught.hint && caught.hint.length > 0, 'a refusal has a hint');
  return caught;
}

const minimal3 = (paths: string, extra = '') => `openapi: 3.1.0
info: { title: T, version: '1' }
servers: [{ url: 'https://backend.example.com' }]
${extra}paths:
${paths}`;

describe('importOpenApi', () => {
  it('imports an OpenAPI 3 YAML document as an API', () => {
    const { api, warnings } = importOpenApi(PETSTORE, { name: 'petstore', path: '/pets-api/' });
    assert.deepEqual(api, {
      name: 'petstore',
      displayName: 'Swagger Petstore',
      path: 'pets-api',
      serviceUrl: 'https://westeurope.petstore.example.com/v1',
      protocols: ['https'],
      subscriptionRequired: true,
      subscriptionKeyHeader: DEFAULT_KEY_HEADER,
      subscriptionKeyQuery: DEFAULT_KEY_QUERY,
      operations: [
        { name: 'listPets', displayName: 'List all pets', method: 'GET', urlTemplate: '/pets' },
        { name: 'createPets', displayName: 'Create a pet', method: 'POST', urlTemplate: '/pets' },
        {
          name: 'showPetById',
          displayName: 'Info for a specific pet',
          method: 'GET',
          urlTemplate: '/pets/{petId}',
        },
        { name: 'deletePet', displayName: 'deletePet', method: 'DELETE', urlTemplate: '/pets/{petId}' },
        {
          name: 'get-pets-petid-photos-photoid',
          displayName: 'get-pets-petid-photos-photoid',
          method: 'GET',
          urlTemplate: '/pets/{petId}/photos/{photoId}',
        },
        {
          name: 'pets-photos-upload',
          displayName: 'pets/photos: upload',
          method: 'PUT',
          urlTemplate: '/pets/{petId}/photos/{photoId}',
        },
        {
          name: 'getLatestStore',
          displayName: 'The newest store',
          method: 'GET',
          urlTemplate: '/stores/latest',
        },
      ],
    });
    assert.deepEqual(warnings, [
      'PUT /pets/{petId}/photos/{photoId}: operationId "pets/photos: upload" is not a valid operation name; imported as "pets-photos-upload".',
      'The document lists 2 servers; the service URL is the first, https://westeurope.petstore.example.com/v1.',
      'Security scheme "petKey" (an API key in header "X-API-Key") is ignored: callers send the subscription key in header Ocp-Apim-Subscription-Key or query parameter subscription-key; change the API\'s subscription key names to use "X-API-Key".',
    ]);
  });

  it('imports a Swagger 2.0 JSON document as an API', () => {
    const { api, warnings } = importOpenApi(SWAGGER, {
      name: 'orders',
      path: 'shop/orders',
      subscriptionRequired: false,
    });
    assert.deepEqual(api, {
      name: 'orders',
      displayName: 'Orders API',
      path: 'shop/orders',
      serviceUrl: 'https://orders.contoso.com/api',
      protocols: ['https'],
      subscriptionRequired: false,
      subscriptionKeyHeader: DEFAULT_KEY_HEADER,
      subscriptionKeyQuery: DEFAULT_KEY_QUERY,
      operations: [
        { name: 'Orders_List', displayName: 'List orders', method: 'GET', urlTemplate: '/orders' },
        { name: 'Orders_Create', displayName: 'Orders_Create', method: 'POST', urlTemplate: '/orders' },
        { name: 'Orders_Get', displayName: 'Orders_Get', method: 'GET', urlTemplate: '/orders/{orderId}' },
        {
          name: 'Orders_Update',
          displayName: 'Update an order',
          method: 'PATCH',
          urlTemplate: '/orders/{orderId}',
        },
        {
          name: 'get-orders-orderid-lines',
          displayName: 'get-orders-orderid-lines',
          method: 'GET',
          urlTemplate: '/orders/{orderId}/lines',
        },
      ],
    });
    assert.deepEqual(warnings, [
      'Security scheme "azure_auth" (oauth2) is not enforced by the import; add a policy (validate-jwt, validate-azure-ad-token, check-header) to the API.',
      'x-ms-paths (1 paths) is not imported: only "paths" become operations.',
      'Ignored extensions: x-ms-parameterized-host.',
    ]);
  });

  it('gives every operation a valid name and a template the gateway routes', () => {
    const { api } = importOpenApi(PETSTORE, { name: 'petstore', path: 'pets' });
    for (const op of api.operations) {
      assert.match(op.name, /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/);
      assert.doesNotThrow(() => compileTemplate(op.urlTemplate));
    }
  });

  it('options win over the document: service URL, display name', () => {
    const { api, warnings } = importOpenApi(PETSTORE, {
      name: 'p',
      path: '',
      serviceUrl: 'http://127.0.0.1:9000/pets/',
      displayName: 'Pets (local)',
    });
    assert.equal(api.serviceUrl, 'http://127.0.0.1:9000/pets/');
    assert.equal(api.displayName, 'Pets (local)');
    assert.equal(api.path, '');
    assert.ok(!warnings.some((w) => w.includes('servers')));
  });

  it('derives unique names for operations without an operationId, deterministically', () => {
    const doc = minimal3(`  /items:
    get: {}
    post: {}
  /items/{id}:
    get: {}
    delete: { operationId: '***' }
  /Items/{id}/:
    put: {}
  /items/{id}/parts:
    get: { operationId: get-items-id }
    post: { operationId: get-items-id }
  /:
    get: {}
  /a/{*rest}:
    get: {}
`);
    const run = () => importOpenApi(doc, { name: 'i', path: 'i' });
    const { api, warnings } = run();
    assert.deepEqual(
      api.operations.map((o) => `${o.method} ${o.urlTemplate} ${o.name}`),
      [
        'GET /items get-items',
        'POST /items post-items',
        'GET /items/{id} get-items-id-3',
        'DELETE /items/{id} delete-items-id',
        'PUT /Items/{id}/ put-items-id',
        'GET /items/{id}/parts get-items-id',
        'POST /items/{id}/parts get-items-id-2',
        'GET / get',
        'GET /a/{*rest} get-a-rest',
      ],
    );
    assert.deepEqual(warnings, [
      'POST /items/{id}/parts: operationId "get-items-id" is used by an earlier operation; imported as "get-items-id-2".',
      'DELETE /items/{id}: operationId "***" has no letter or digit; named from the path.',
    ]);
    assert.deepEqual(run(), { api, warnings });
    const long = importOpenApi(
      minimal3(`  /${'x'.repeat(100)}:\n    get: {}\n    post: { operationId: get-${'x'.repeat(100)} }\n`),
      {
        name: 'l',
        path: 'l',
      },
    );
    assert.deepEqual(
      long.api.operations.map((o) => o.name),
      [`get-${'x'.repeat(74)}-2`, `get-${'x'.repeat(76)}`],
    );
  });

  it('refuses what is not OpenAPI 3 or Swagger 2', () => {
    const opts = { name: 'a', path: 'a' };
    refusal(() => importOpenApi('title: hello\npaths: {}\n', opts), /neither OpenAPI 3\.x nor Swagger 2\.0/);
    refusal(() => importOpenApi('{"swagger": "1.2", "apis": []}', opts), /Swagger version "1\.2"/);
    refusal(() => importOpenApi('openapi: 4.0.0\npaths: {}\n', opts), /OpenAPI version "4\.0\.0"/);
    refusal(() => importOpenApi('- openapi: 3.0.0\n', opts), /top level is not a JSON or YAML object/);
    refusal(() => importOpenApi('{"openapi": "3.0.0",', opts), /not valid JSON/);
    refusal(
      () => importOpenApi('openapi: 3.0.0\nopenapi: 3.0.1\n', opts),
      /not valid YAML \(line 2, column 1\)/,
    );
    refusal(
      () => importOpenApi('<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>', opts),
      /neither OpenAPI/,
    );
  });

  it('refuses a document that is too big, too deep or has too many operations', () => {
    const opts = { name: 'a', path: 'a' };
    const big = `openapi: 3.0.0\ninfo:\n  description: "${'x'.repeat(4 * 1024 * 1024)}"\n`;
    const e = refusal(() => importOpenApi(big, opts), /at most 4194304 \(4 MiB\)/);
    assert.equal(e.details?.max, 4 * 1024 * 1024);
    refusal(
      () => importOpenApi(`openapi: 3.0.0\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, opts),
      /deeper than 64/,
    );
    refusal(
      () => importOpenApi(`{"openapi":"3.0.0","x":${'['.repeat(100)}${']'.repeat(100)}}`, opts),
      /deeper than 64/,
    );
    for (const opener of ['[', '{a: ', '!t [', '&a [', 'b: [\n', '[\n  ', '- ']) {
      const deep = `openapi: 3.0.0\nx: ${opener.repeat(400_000)}`.slice(0, 4_000_000);
      const started = Date.now();
      refusal(() => importOpenApi(deep, opts), /deeper than 64|not valid YAML/);
      assert.ok(
        Date.now() - started < 5000,
        `${JSON.stringify(opener)} refused in ${Date.now() - started} ms`,
      );
    }
    // Brackets in text are not nesting: 400 unclosed ones in descriptions and quoted strings are fine.
    const prose = `openapi: 3.0.0\nservers: [{ url: 'https://b' }]\ninfo:\n  title: "[["\n${"  x: see [RFC 7231, it's {\n".repeat(400)}paths: {}\n`;
    assert.equal(
      importOpenApi(
        prose.replace(/ {2}x: /g, (_, i: number) => `  x${i}: `),
        opts,
      ).api.operations.length,
      0,
    );
    let nested = 'openapi: 3.0.0\nx:\n';
    for (let i = 1; i <= 70; i++) nested += `${'  '.repeat(i)}k:\n`;
    refusal(() => importOpenApi(nested, opts), /deeper than 64/);
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 1001; i++) paths[`/r${i}`] = { get: {}, post: {} };
    const many = JSON.stringify({ openapi: '3.0.0', servers: [{ url: 'https://b' }], paths });
    refusal(() => importOpenApi(many, opts), /more than 2000 operations/);
  });

  it('refuses a path the gateway cannot route, naming it', () => {
    const opts = { name: 'a', path: 'a' };
    const e = refusal(
      () => importOpenApi(minimal3('  /ok:\n    get: {}\n  /files/{name}.{ext}:\n    get: {}\n'), opts),
      /Path \/files\/\{name\}\.\{ext\} cannot be routed by the gateway: "\{name\}\.\{ext\}" mixes text/,
    );
    assert.equal(e.details?.path, '/files/{name}.{ext}');
    refusal(() => importOpenApi(minimal3('  /a/{*rest}/b:\n    get: {}\n'), opts), /cannot be routed/);
    refusal(() => importOpenApi(minimal3('  items:\n    get: {}\n'), opts), /does not start with "\/"/);
    refusal(() => importOpenApi(minimal3('  /search?q={q}:\n    get: {}\n'), opts), /has a query part/);
    refusal(
      () => importOpenApi(minimal3('  /items/{id}:\n    get: {}\n  /Items/{name}/:\n    get: {}\n'), opts),
      /Paths \/items\/\{id\} and \/Items\/\{name\}\/ both match the same requests for GET/,
    );
  });

  it('refuses a relative or missing server URL unless a service URL is given', () => {
    const opts = { name: 'a', path: 'a' };
    const relative =
      'openapi: 3.0.0\ninfo: { title: T }\nservers: [{ url: /v1 }]\npaths:\n  /x:\n    get: {}\n';
    refusal(
      () => importOpenApi(relative, opts),
      /servers\[0\]\.url "\/v1" is relative, and no service URL was given/,
    );
    assert.equal(
      importOpenApi(relative, { ...opts, serviceUrl: 'https://b.example.com/v1' }).api.serviceUrl,
      'https://b.example.com/v1',
    );
    refusal(() => importOpenApi('openapi: 3.0.0\npaths: {}\n', opts), /has no servers/);
    refusal(
      () =>
        importOpenApi(
          'openapi: 3.0.0\nservers: [{ url: "https://{tenant}.example.com" }]\npaths: {}\n',
          opts,
        ),
      /uses the variable \{tenant\}, which has no default/,
    );
    refusal(() => importOpenApi('{"swagger":"2.0","paths":{}}', opts), /has no host/);
    refusal(
      () => importOpenApi('openapi: 3.0.0\nservers: [{ url: "ftp://files.example.com" }]\npaths: {}\n', opts),
      /not an http\(s\) URL/,
    );
    refusal(() => importOpenApi(relative, { ...opts, serviceUrl: 'backend:8080' }), /not an http\(s\) URL/);
    refusal(() => importOpenApi(relative, { ...opts, serviceUrl: '/v1' }), /not an absolute URL/);
  });

  it('refuses a bad API name or path', () => {
    const doc = minimal3('  /x:\n    get: {}\n');
    refusal(() => importOpenApi(doc, { name: '-x', path: 'a' }), /not a valid API name/);
    refusal(() => importOpenApi(doc, { name: 'a', path: 'a b' }), /not a valid API path suffix/);
  });
});
