/**
 * GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)
 * with one file at `variables.input.file`, sent with a Content-Length as the server requires.
 */
export interface UploadResult {
  status: number;
  json: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

export async function uploadContacts(
  graphqlUrl: string,
  accessToken: string,
  file: { name: string; content: Uint8Array | string },
  input: Record<string, unknown> = {},
): Promise<UploadResult> {
  const query = `mutation ImportContacts($input: ImportContactsInput!) {
    importContacts(input: $input) {
      __typename
      ... on MutationImportContactsSuccess { data { id status encoding delimiter } }
      ... on ValidationError { problems { field message } }
      ... on Error { code message }
    }
  }`;
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables: { input: { ...input, file: null } } }));
  form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
  const bytes = typeof file.content === 'string' ? new TextEncoder().encode(file.content) : file.content;
  form.set('0', new Blob([new Uint8Array(bytes)], { type: 'text/csv' }), file.name);
  const encoded = new Response(form);
  const body = new Uint8Array(await encoded.arrayBuffer());
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': encoded.headers.get('content-type') ?? '',
      'content-length': String(body.byteLength),
      'x-graphql-yoga-csrf': '1',
    },
    body,
  });
  return { status: response.status, json: (await response.json()) as UploadResult['json'] };
}
