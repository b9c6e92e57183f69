import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations for tests and partners: every `.graphql` operation under codegen/operations
 * becomes a TypedDocumentNode in codegen/generated/operations.ts.
 */
const config: CodegenConfig = {
  schema: 'codegen/schema.graphql',
  documents: 'codegen/operations/**/*.graphql',
  generates: {
    'codegen/generated/operations.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        scalars: { DateTime: 'string', Email: 'string', Phone: 'string', Decimal: 'string', ID: 'string', File: 'File' },
      },
    },
  },
};

export default config;
