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

/** Lines of help text describing the settings, their variables and defaults. */
export function settingsHelp(names: readonly SettingName[] = Object.keys(SETTINGS) as SettingName[]): string {
  return names
    .map((name) => {
      const setting = SETTINGS[name];
      const fallback = setting.default === undefined ? '' : ` (default ${setting.default})`;
      return `  --${setting.flag.padEnd(16)} ${name.padEnd(15)} ${setting.help}${fallback}`;
    })
    .join('\n');
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
