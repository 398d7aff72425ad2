import { Readable, pipeline } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
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

/** A record as read, or a record the parser could not read; `line` is where it ends. */
type Parsed = { line: number; record: string[] } | { line: number; problem: string };

const CRLF = /\r\n/g;

/**
 * Parses CSV as it arrives (csv-parse, RFC 4180: quoted fields may hold commas, quotes and line
 * breaks) into staged lines. The first record is the header. A record with the wrong number of
 * columns, or one the parser cannot read, becomes a line error; a bad header refuses the upload.
 */
export async function* csvLines(body: AsyncIterable<Buffer>, schema: GraphQLSchema, inputType: string, system: string | null): AsyncGenerator<StagedLine> {
  let unreadable: Parsed[] = [];
  // csv-parse counts a CRLF inside a quoted field as two lines; this many so far.
  let extraLines = 0;
  const options: Options<Parsed[], string[]> = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_LINE_BYTES,
    // Both hooks run in file order as the parser reads, so a skipped record travels with the next one read.
    on_skip: (error: CsvError | undefined) => {
      const line = ((error as { lines?: number } | undefined)?.lines ?? 0) - extraLines;
      unreadable.push({ line, problem: `not valid CSV: ${error?.message.replace(/ at line \d+.*$/s, '') ?? 'unreadable'}` });
    },
    on_record: (record: string[], context: { lines: number }) => {
      for (const field of record) extraLines += field.match(CRLF)?.length ?? 0;
      const parsed = [...unreadable, { line: context.lines - extraLines, record }];
      unreadable = [];
      return parsed;
    },
  };
  // csv-parse's typings tie on_record's result to the record type; the parser passes it on as is.
  const parser = parse(options as unknown as Options);
  const batches = pipeline(Readable.from(body), parser, () => undefined) as AsyncIterable<Parsed[]>;
  let build: ((cells: string[]) => Record<string, unknown>) | null = null;
  let width = 0;
  let last = 0;
  const stage = (parsed: Parsed): StagedLine => {
    // Line numbers key the staged rows: strictly rising, even where the parser's count is off.
    const line = (last = Math.max(parsed.line, last + 1));
    if ('problem' in parsed) return { line, payload: null, problem: parsed.problem };
    if (parsed.record.length !== width) return { line, payload: null, problem: `has ${parsed.record.length} columns, the header ${width}` };
    return jsonLine(line, JSON.stringify(build!(parsed.record)));
  };
  for await (const batch of batches) {
    for (const parsed of batch) {
      if (build) yield stage(parsed);
      else if ('record' in parsed) {
        width = parsed.record.length;
        last = parsed.line;
        build = rowBuilder(schema, inputType, parsed.record.map((name) => name.trim()), system);
      } else throw badInput([{ field: 'header', message: parsed.problem }]);
    }
  }
  for (const parsed of unreadable) yield stage(parsed);
}
