import DataLoader from 'dataloader';

/** What Pothos' Prisma plugin hands a resolver: the selection of the client's query. */
export type SelectionQuery = { select?: Record<string, unknown>; include?: Record<string, unknown> };

const MAX_SELECTIONS = 200;

/**
 * Rows read for a subscription at delivery, batched: the events delivered together (one bus
 * message: a worker's batch of replies, a batch of a campaign's messages) read their rows of one
 * selection in one query instead of one each. Never cached: each batch reads the state of the
 * moment. One loader per selection (a client's query), at most MAX_SELECTIONS of them.
 *
 * `find` reads the rows of the given ids with the query's selection (the id always selected).
 */
export function selectionReader<Row>(
  find: (query: SelectionQuery, ids: readonly string[]) => Promise<Row[]>,
  idOf: (row: Row) => string,
  notFound: () => Error,
): (query: SelectionQuery, id: string, selection?: string) => Promise<Row> {
  const readers = new Map<string, DataLoader<string, Row>>();
  return (query, id, selection = JSON.stringify(query)) => {
    let reader = readers.get(selection);
    if (!reader) {
      if (readers.size >= MAX_SELECTIONS) readers.clear();
      const withId = query.select ? { ...query, select: { ...query.select, id: true } } : query;
      reader = new DataLoader<string, Row>(
        async (ids) => {
          const byId = new Map((await find(withId, ids)).map((row) => [idOf(row), row]));
          return ids.map((rowId) => byId.get(rowId) ?? notFound());
        },
        { cache: false, maxBatchSize: 500 },
      );
      readers.set(selection, reader);
    }
    return reader.load(id);
  };
}
