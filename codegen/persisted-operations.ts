import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/**
 * The allow-list of operations partners may run with an API key: every operation under
 * codegen/operations, keyed by the SHA-256 of its canonical text (the operation followed by the
 * fragments it uses, sorted by name). Clients send the key as Apollo's
 * `extensions.persistedQuery.sha256Hash`; `operationId` computes it for any typed document.
 */
export function canonicalOperation(operation: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>): string {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [operation];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !used.has(node.name.value)) {
          used.set(node.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  const sortedFragments = [...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
  return [operation, ...sortedFragments].map((definition) => print(definition)).join('\n\n');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The id of the (single) operation in a document that carries its fragments, e.g. a typed document. */
export function operationId(document: DocumentNode): string {
  const fragments = new Map(
    document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('document has no operation');
  return sha256(canonicalOperation(operation, fragments));
}

/** id -> operation text, for every operation of codegen/operations. */
export function buildPersistedOperations(directory = new URL('./operations/', import.meta.url)): Record<string, string> {
  const documents = readdirSync(directory)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => parse(readFileSync(new URL(file, directory), 'utf8')));
  const definitions = documents.flatMap((document) => document.definitions);
  const fragments = new Map(
    definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const operations: Record<string, string> = {};
  for (const operation of definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION)) {
    const text = canonicalOperation(operation, fragments);
    operations[sha256(text)] = text;
  }
  return Object.fromEntries(Object.entries(operations).sort(([a], [b]) => a.localeCompare(b)));
}
