/**
 * Where finished exports wait for their download: a directory under DATA_DIR today, an object
 * store later, behind this interface. Keys are export ids, never names given by a user.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { config } from '../config.js';

export interface ExportFileStore {
  /** Writes the whole stream, replacing any earlier file; readers never see half a file. Returns its size in bytes. */
  save(exportId: string, content: Readable): Promise<number>;
  /** The file, or null when it does not exist (never written, or purged). */
  open(exportId: string): Promise<Readable | null>;
  remove(exportId: string): Promise<void>;
}

export class LocalExportFileStore implements ExportFileStore {
  constructor(private readonly directory: string) {}

  private pathOf(exportId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(exportId)) throw new Error(`invalid export id ${exportId}`);
    return path.join(this.directory, `${exportId}.csv`);
  }

  async save(exportId: string, content: Readable): Promise<number> {
    await fs.mkdir(this.directory, { recursive: true });
    const target = this.pathOf(exportId);
    // Written under a temporary name and renamed: a job run twice, or a download during a
    // re-run, never sees a partial file.
    const partial = `${target}.part`;
    await pipeline(content, createWriteStream(partial));
    await fs.rename(partial, target);
    return (await fs.stat(target)).size;
  }

  async open(exportId: string): Promise<Readable | null> {
    const file = this.pathOf(exportId);
    try {
      const handle = await fs.open(file, 'r');
      return handle.createReadStream({ highWaterMark: 1 << 16 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(exportId: string): Promise<void> {
    await fs.rm(this.pathOf(exportId), { force: true });
    await fs.rm(`${this.pathOf(exportId)}.part`, { force: true });
  }
}

export const exportFiles: ExportFileStore = new LocalExportFileStore(config.exports.directory);
