import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/**
 * An xlsx workbook opened through its zip central directory, so each part is found by name
 * wherever the writer stored it. (exceljs's own streaming reader takes the parts in stored
 * order in one pass: it loses a sheet's name when the workbook part comes after the sheets, and
 * now and then drops the last part altogether.) Parts are read as UTF-8 text with a decoder that
 * carries a character split between two chunks over to the next one.
 *
 * exceljs still parses the XML: the workbook, shared-strings and styles parts through its
 * WorkbookReader's part parsers, each sheet through its WorksheetReader, row by row. Those are
 * internals of exceljs 4.4.0, which package.json pins exactly.
 */

interface ZipEntry {
  path: string;
  type: 'File' | 'Directory';
  stream(): Readable;
}

interface ZipSource {
  stream(offset: number, length?: number): Readable;
  size(): Promise<number>;
}

interface Relationship {
  Id: string;
  Target: string;
}

interface SheetListing {
  name: string;
  rId: string;
}

/** The parts of exceljs's WorkbookReader this module drives, and the state they leave. */
interface PartParsers {
  options: Record<string, string>;
  workbookRels?: Relationship[];
  model?: { sheets?: SheetListing[] };
  properties?: { model?: { date1904?: boolean } };
  _parseRels(part: Readable): Promise<void>;
  _parseWorkbook(part: Readable): Promise<void>;
  _parseSharedStrings(part: Readable): AsyncIterable<unknown>;
  _parseStyles(part: Readable): Promise<void>;
}

type WorksheetReaderClass = new (init: {
  workbook: PartParsers;
  id: number;
  iterator: AsyncIterable<unknown>;
  options: Record<string, string>;
}) => AsyncIterable<ExcelJS.Row>;

const require = createRequire(import.meta.url);
const openDirectory = require('unzipper/lib/Open/directory.js') as (source: ZipSource) => PromiseLike<{ files: ZipEntry[] }>;
const WorksheetReader = require('exceljs/lib/stream/xlsx/worksheet-reader.js') as WorksheetReaderClass;

/** A part the workbook needs is missing or unreadable: the message names it. */
export class WorkbookPartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkbookPartError';
  }
}

export interface XlsxSheet {
  name: string;
  /** The sheet's rows, parsed as they are read; the part is opened only when rows are asked for. */
  rows(): AsyncIterable<ExcelJS.Row>;
}

export interface XlsxWorkbook {
  /** The sheets in the order the workbook lists them (the order of its tabs). */
  sheets: XlsxSheet[];
  date1904: boolean;
  /** Closes every file handle the workbook opened, including those of sheets left half-read. */
  close(): void;
}

const WORKBOOK_PART = 'xl/workbook.xml';
const WORKBOOK_RELS_PART = 'xl/_rels/workbook.xml.rels';
const SHARED_STRINGS_PART = 'xl/sharedStrings.xml';
const STYLES_PART = 'xl/styles.xml';

/** A relationship target, relative to xl/ or absolute from the package root, as a part name. */
function partName(target: string): string {
  return target.startsWith('/') ? target.slice(1) : path.posix.normalize(path.posix.join('xl', target));
}

export async function openXlsx(file: string): Promise<XlsxWorkbook> {
  const opened: ReadStream[] = [];
  const close = () => {
    for (const stream of opened) stream.destroy();
    opened.length = 0;
  };
  const source: ZipSource = {
    stream(offset, length) {
      const stream = createReadStream(file, { start: offset, ...(length ? { end: offset + length } : {}) });
      opened.push(stream);
      return stream;
    },
    size: async () => (await stat(file)).size,
  };

  try {
    const directory = await openDirectory(source);
    const parts = new Map(directory.files.filter((entry) => entry.type === 'File').map((entry) => [entry.path, entry]));
    const text = (name: string): Readable | undefined => parts.get(name)?.stream().setEncoding('utf8');

    const book = new ExcelJS.stream.xlsx.WorkbookReader(file, {
      entries: 'ignore',
      sharedStrings: 'cache',
      hyperlinks: 'ignore',
      styles: 'cache',
      worksheets: 'emit',
    }) as unknown as PartParsers;

    const rels = text(WORKBOOK_RELS_PART);
    const workbook = text(WORKBOOK_PART);
    if (!rels || !workbook) {
      throw new WorkbookPartError(`it has no ${!workbook ? WORKBOOK_PART : WORKBOOK_RELS_PART} part`);
    }
    await book._parseRels(rels);
    await book._parseWorkbook(workbook);
    const sharedStrings = text(SHARED_STRINGS_PART);
    if (sharedStrings) {
      for await (const _ of book._parseSharedStrings(sharedStrings)) {
        // with sharedStrings: 'cache' the parser keeps them and yields nothing
      }
    }
    const styles = text(STYLES_PART);
    if (styles) await book._parseStyles(styles);

    const relationships = book.workbookRels ?? [];
    const sheets = (book.model?.sheets ?? []).map((listing, index): XlsxSheet => {
      const name = String(listing.name);
      const relationship = relationships.find((candidate) => candidate.Id === listing.rId);
      const part = relationship ? partName(relationship.Target) : undefined;
      if (part === undefined || !parts.has(part)) {
        throw new WorkbookPartError(`sheet "${name}" is listed but its part ${part ?? `(relationship ${listing.rId})`} is missing`);
      }
      return {
        name,
        rows: () => new WorksheetReader({ workbook: book, id: index + 1, iterator: text(part) as Readable, options: book.options }),
      };
    });
    return { sheets, date1904: book.properties?.model?.date1904 === true, close };
  } catch (error) {
    close();
    throw error;
  }
}
