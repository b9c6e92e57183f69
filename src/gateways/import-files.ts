/**
 * Where uploaded import files wait for their background job: a directory under DATA_DIR
 * today, an object store later, behind this interface.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { config } from '../config.js';

export interface ImportFileStore {
  save(importId: string, content: Uint8Array): Promise<void>;
  open(importId: string): Readable;
  remove(importId: string): Promise<void>;
}

export class LocalImportFileStore implements ImportFileStore {
  constructor(private readonly directory: string) {}

  private pathOf(importId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(importId)) throw new Error(`invalid import id ${importId}`);
    return path.join(this.directory, `${importId}.csv`);
  }

  async save(importId: string, content: Uint8Array): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true });
    // Written under a temporary name and renamed, so a job never reads half a file.
    const target = this.pathOf(importId);
    await fs.writeFile(`${target}.part`, content);
    await fs.rename(`${target}.part`, target);
  }

  open(importId: string): Readable {
    return createReadStream(this.pathOf(importId), { highWaterMark: 1 << 20 });
  }

  async remove(importId: string): Promise<void> {
    await fs.rm(this.pathOf(importId), { force: true });
  }
}

export const importFiles: ImportFileStore = new LocalImportFileStore(path.join(config.dataDir, 'imports'));
