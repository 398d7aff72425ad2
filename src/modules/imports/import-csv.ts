import { Readable, pipeline } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  type GraphQLInputField,
  type GraphQLSchema,
} from 'graphql';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { MAX_LINE_BYTES, jsonLine, type StagedLine } from './import-lines';

/** The CSV column that becomes `externalRef { system, id }`, the system coming from `?system=`. */
export const EXTERNAL_ID_COLUMN = 'externalId';

/** Separates the items of a list column (e.g. `tags`): `vip;newsletter`. */
export const LIST_SEPARATOR = ';';

type Cell = (text: string) => unknown;

const SCALARS: Record<string, Cell> = {
  Int: (text) => (/^-?\d+$/.test(text) ? Number(text) : text),
  Float: (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text),
  Boolean: (text) => (/^(true|false)$/i.test(text) ? text.toLowerCase() === 'true' : text),
};

/** How one column's text becomes its input value: by the GraphQL type of the field it names. */
function cellOf(field: GraphQLInputField): Cell | null {
  const type = getNullableType(field.type);
  const named = getNamedType(type);
  if (isInputObjectType(named)) return null;
  const scalar = SCALARS[named.name] ?? ((text: string) => text);
  return isListType(type) ? (text) => text.split(LIST_SEPARATOR).map((item) => scalar(item.trim())) : scalar;
}

/**
 * Reads the header against the object's upsert input type (`inputType`): every column must name
 * one of its fields; nested fields (an order's `lines`, …) cannot be CSV columns. Empty cells are
 * left out of the input, so they change nothing.
 */
function rowBuilder(schema: GraphQLSchema, inputType: string, header: string[], system: string | null): (cells: string[]) => Record<string, unknown> {
  const type = schema.getType(inputType);
  if (!isInputObjectType(type)) throw badInput([{ field: 'object', message: 'has no CSV import' }]);
  const fields = type.getFields();
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const cells = header.map((name, i) => {
    const where = `header[${i}]`;
    if (seen.has(name)) problems.push({ field: where, message: `column ${name} appears twice` });
    seen.add(name);
    if (name === EXTERNAL_ID_COLUMN) {
      if (!system) problems.push({ field: 'system', message: `is required (?system=) with an ${EXTERNAL_ID_COLUMN} column` });
      return (text: string) => ({ system, id: text });
    }
    const field = fields[name];
    const cell = field && name !== 'externalRef' ? cellOf(field) : null;
    if (!field) problems.push({ field: where, message: `${name} is not a field of ${inputType}` });
    else if (!cell) problems.push({ field: where, message: `${name} is nested: import it with NDJSON` });
    return cell;
  });
  if (problems.length > 0) throw badInput(problems);
  const keys = header.map((name) => (name === EXTERNAL_ID_COLUMN ? 'externalRef' : name));
  return (row) => {
    const input: Record<string, unknown> = {};
    row.forEach((text, i) => {
      if (text !== '') input[keys[i]] = cells[i]!(text);
    });
    return input;
  };
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Parses CSV as it arrives (csv-parse, RFC 4180: quoted fields may hold commas, quotes and line
 * breaks) into staged lines. The first record is the header. A record with the wrong number of
 * columns, or one the parser cannot read, becomes a line error; a bad header refuses the upload.
 */
export async function* csvLines(body: AsyncIterable<Buffer>, schema: GraphQLSchema, inputType: string, system: string | null): AsyncGenerator<StagedLine> {
  const skipped: StagedLine[] = [];
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_LINE_BYTES,
    on_skip: (error: CsvError | undefined) => {
      skipped.push({ line: (error as { lines?: number } | undefined)?.lines ?? 0, payload: null, problem: `not valid CSV: ${error?.message ?? 'unreadable'}` });
    },
  });
  const records = pipeline(Readable.from(body), parser, () => undefined) as AsyncIterable<ParsedRecord>;
  let build: ((cells: string[]) => Record<string, unknown>) | null = null;
  let width = 0;
  let last = 0;
  // Line numbers are the staged rows' keys: never repeat one, even after a record the parser skipped.
  const numbered = (staged: StagedLine): StagedLine => {
    last = Math.max(staged.line, last + 1);
    return { ...staged, line: last };
  };
  for await (const { record, info } of records) {
    while (skipped.length > 0) yield numbered(skipped.shift()!);
    if (!build) {
      width = record.length;
      build = rowBuilder(schema, inputType, record.map((name) => name.trim()), system);
      last = info.lines;
      continue;
    }
    if (record.length !== width) {
      yield numbered({ line: info.lines, payload: null, problem: `has ${record.length} columns, the header ${width}` });
    } else {
      yield numbered(jsonLine(info.lines, JSON.stringify(build(record))));
    }
  }
  while (skipped.length > 0) yield numbered(skipped.shift()!);
}
