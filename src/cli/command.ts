// What every command module provides, and the context `main` hands it.
import { homedir } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GuardError } from '../errors.js';
import { defaultGuardHome } from '../store/paths.js';
import { Printer, type Io } from './render.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Resolved once at the edge; nothing below the CLI reads process.env. */
export interface Context {
  io: Io;
  print: Printer;
  guardHome: string;
  home: string;
}

export interface Command<O extends Options = Options> {
  name: string;
  usage: string;
  summary: string;
  options: O;
  /** Take everything after `--` as positionals (guard run). */
  passthrough?: boolean;
  run(ctx: Context, args: Parsed<O>): Promise<number>;
}

export interface Parsed<O extends Options> {
  values: { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
  rest: string[];
}

// Declare a command with its option types inferred.
export function defineCommand<O extends Options>(command: Command<O>): Command<O> {
  return command;
}

export function createContext(io: Io): Context {
  const home = io.env.HOME ?? homedir();
  return { io, print: new Printer(io), guardHome: defaultGuardHome(io.env, home), home };
}

// parseArgs with usage errors as GuardError USAGE.
export function parseCommand<O extends Options>(command: Command<O>, argv: string[]): Parsed<O> {
  const split = command.passthrough === true ? argv.indexOf('--') : -1;
  const mine = split === -1 ? argv : argv.slice(0, split);
  const rest = split === -1 ? [] : argv.slice(split + 1);
  try {
    const { values, positionals } = parseArgs({ args: mine, options: command.options, allowPositionals: true, strict: true });
    return { values: values as Parsed<O>['values'], positionals, rest };
  } catch (error) {
    throw new GuardError('USAGE', `${parseErrorSentence(error as Error & { code?: string }, command.name)}\nusage: ${command.usage}`);
  }
}

// node:util's parse errors, rewritten as sentences that say what to do.
function parseErrorSentence(error: Error & { code?: string }, name: string): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined) return `unknown option ${option}. guard ${name} --help lists the options (an argument that starts with "-" goes after "--").`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    return error.message.includes('does not take an argument') ? `${option} takes no value.` : `${option} needs a value.`;
  }
  return `${error.message.replace(/\.?$/, '.')}`;
}

export const missionOption = { mission: { type: 'string', short: 'm' } } as const;
export const jsonOption = { json: { type: 'boolean' } } as const;

// Everything a stream (stdin) delivers, as bytes.
export async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
