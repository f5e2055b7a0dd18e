import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseConfig, SETTINGS, type Config, type RawSettings, type SettingName } from '../config.js';

/** A command-line mistake; the message says what to type instead. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type ParsedValues<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];

/** One `--flag VALUE` option per setting (PORT → --port), for parseArgs. */
export const SETTING_OPTIONS: Options = Object.fromEntries(
  Object.values(SETTINGS).map((setting) => [setting.flag, { type: 'string' }]),
);

/** One row of a command's option list in its --help. */
export interface OptionHelp {
  /** The option as typed, with its value's placeholder if any: `--port`, `--sub ID`, `-h, --help`. */
  flag: string;
  /** The environment variable that sets the same thing, for settings. */
  variable?: string;
  /** What it does; wrapped to the help width, so it may be a long sentence. */
  help: string;
}

/** Columns --help text is wrapped to: narrower than most terminals, wide enough for a setting's row. */
export const HELP_WIDTH = 100;

/** The `-h, --help` row every command lists. */
export const HELP_OPTION: OptionHelp = { flag: '-h, --help', help: 'show this help' };

/** Spaces between two columns of an option list. */
const GAP = '  ';
/**
 * The narrowest a description may be wrapped to, should long flags and variables leave less than
 * this of HELP_WIDTH: a line running past the width reads better than one word per line.
 */
const MIN_DESCRIPTION_WIDTH = 30;

/** The option rows of the settings `names` (every setting unless told): flag, variable, help and default. */
export function settingOptions(
  names: readonly SettingName[] = Object.keys(SETTINGS) as SettingName[],
): OptionHelp[] {
  return names.map((name) => {
    const setting = SETTINGS[name];
    const fallback = setting.default === undefined ? '' : ` (default ${setting.default})`;
    return { flag: `--${setting.flag}`, variable: name, help: `${setting.help}${fallback}` };
  });
}

/**
 * Formats option rows as aligned columns (flag, variable when any row has one, description), two
 * spaces in front. Column widths come from the longest entries, so every description starts in the
 * same column, and descriptions are wrapped at word boundaries to `width` with a hanging indent.
 */
export function formatOptions(rows: readonly OptionHelp[], width: number = HELP_WIDTH): string {
  const flagWidth = Math.max(0, ...rows.map((row) => row.flag.length));
  const withVariables = rows.some((row) => row.variable !== undefined);
  const variableWidth = Math.max(0, ...rows.map((row) => row.variable?.length ?? 0));
  const indent = GAP.length + flagWidth + GAP.length + (withVariables ? variableWidth + GAP.length : 0);
  const descriptionWidth = Math.max(MIN_DESCRIPTION_WIDTH, width - indent);
  return rows
    .map((row) => {
      const lead =
        GAP +
        row.flag.padEnd(flagWidth) +
        GAP +
        (withVariables ? (row.variable ?? '').padEnd(variableWidth) + GAP : '');
      return lead + wrapWords(row.help, descriptionWidth).join(`\n${' '.repeat(indent)}`);
    })
    .join('\n');
}

/** Splits `text` into lines of at most `width` characters at spaces; a longer word gets a line of its own. */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * Parses `args` with the setting flags plus `extra` options. Unknown options and stray positionals
 * are a UsageError naming the command's --help.
 */
export function parseCommandLine<const Extra extends Options>(command: string, args: string[], extra: Extra) {
  const options = { ...extra, help: { type: 'boolean', short: 'h' } } as const;
  try {
    const { values } = parseArgs({ args, options: { ...SETTING_OPTIONS, ...options }, strict: true });
    // The setting flags are read by configFrom; the typed view covers the command's own options.
    return { values: values as ParsedValues<typeof options> & Record<string, unknown> };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. See: sealog ${command} --help`);
  }
}

/** Builds the Config from the environment and the setting flags found in `values`. */
export function configFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Config {
  const flags: RawSettings = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = values[setting.flag];
    if (typeof value === 'string') flags[name] = value;
  }
  return parseConfig(env, flags);
}
