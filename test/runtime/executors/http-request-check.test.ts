import { describe, expect, it } from 'vitest';
import type { AitwsDocument, TomlTable } from '../../../src/document/types.js';
import { createHttpRequestExecutor } from '../../../src/runtime/executors/http-request.js';

/** `${secret:NAME}`, written so it is plainly not a template literal placeholder. */
const ref = (name: string): string => `\${secret:${name}}`;

const executor = createHttpRequestExecutor();

const DOCUMENT: AitwsDocument = {
  external_services: [
    { name: 'Api', url: 'https://api.example.com/v1', api_key: ref('API_KEY') },
    { name: 'NoKey', url: 'https://api.example.com' },
    { name: 'NoUrl', type: 'REST' },
    { name: 'Db', url: 'postgres://db.example.com/app' },
    { name: 'WithPassword', url: `https://user:${ref('PW')}@api.example.com` },
    { name: 'WithQuery', url: 'https://api.example.com/?v=2' },
  ],
};

function problems(parameters: TomlTable): string[] {
  return (executor.check?.(parameters, DOCUMENT) ?? []).map(
    (problem) => `${problem.field}: ${problem.message}`,
  );
}

describe('http.request check()', () => {
  it('accepts a well-formed request', () => {
    expect(
      problems({
        service: 'Api',
        method: 'post',
        path: '/items/{{ inputs.id }}',
        body: { a: 1 },
        headers: { 'X-Token': ref('TOKEN') },
        auth: 'bearer',
      }),
    ).toEqual([]);
    expect(problems({ service: '{{ inputs.service }}', path: '{{ inputs.path }}' })).toEqual([]);
  });

  it('wants a declared service with an http(s) url it can call', () => {
    expect(problems({})).toEqual(['with.service: required: an [[external_services]] name']);
    expect(problems({ service: 'Nope' })).toEqual([
      'with.service: no [[external_services]] entry is named "Nope" (known: Api, NoKey, NoUrl, Db, WithPassword, WithQuery)',
    ]);
    expect(problems({ service: 'NoUrl' })).toEqual([
      'with.service: the service "NoUrl" has no url to send requests to',
    ]);
    expect(problems({ service: 'Db' })).toEqual([
      'with.service: the url of "Db" must start with http:// or https://',
    ]);
    expect(problems({ service: 'WithPassword' })[0]).toContain('holds a secret');
    expect(problems({ service: 'WithQuery' })[0]).toContain('query');
  });

  it('refuses a bad method, path, body, header or auth', () => {
    expect(problems({ service: 'Api', method: 'TRACE' })).toEqual([
      'with.method: expected one of GET, POST, PUT, PATCH, DELETE, HEAD',
    ]);
    expect(problems({ service: 'Api', path: 'items' })[0]).toContain('must start with "/"');
    expect(problems({ service: 'Api', path: 'https://evil.example/{{ inputs.x }}' })[0]).toContain(
      'must start with "/"',
    );
    expect(problems({ service: 'Api', path: '/a/../b' })[0]).toContain('".." segments');
    expect(problems({ service: 'Api', path: '//evil.example' })[0]).toContain('another host');
    expect(problems({ service: 'Api', body: 'x' })).toEqual([
      'with.body: a GET request (the default) has no body',
    ]);
    expect(problems({ service: 'Api', method: 'HEAD', body: 'x' })).toEqual([
      'with.body: a HEAD request has no body',
    ]);
    expect(
      problems({
        service: 'Api',
        headers: { Host: 'evil.example', 'Idempotency-Key': 'x', 'Bad Name': 'x' },
      }),
    ).toEqual([
      'with.headers.Host: is set by the runtime',
      'with.headers.Idempotency-Key: is set by the runtime',
      'with.headers.Bad Name: is not a header name',
    ]);
    expect(problems({ service: 'Api', headers: { 'X-N': 3 } })).toEqual(['with.headers.X-N: must be text']);
    expect(problems({ service: 'NoKey', auth: 'bearer' })).toEqual([
      'with.auth: the service "NoKey" has no api_key',
    ]);
    expect(problems({ service: 'Api', auth: 'basic' })[0]).toContain('bearer');
    expect(problems({ service: 'Api', timeout: '1s' })[0]).toContain('with.timeout: unknown parameter');
  });
});

describe('http.request parameters', () => {
  it('defaults to GET / with no headers', () => {
    expect(executor.params.parse({ service: 'Api' })).toEqual({
      service: 'Api',
      method: 'GET',
      path: '/',
      headers: [],
    });
  });

  it('refuses what cannot be sent', () => {
    for (const bad of [
      { service: 'Api', method: 'GET', body: 'x' },
      { service: 'Api', method: 'POST', body: 3 },
      { service: 'Api', headers: { 'X-A': 1 } },
      { service: 'Api', headers: { Host: 'x' } },
      { service: 'Api', auth: 'basic' },
      { service: '' },
      { service: 'Api', extra: 1 },
    ]) {
      expect(executor.params.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
