// The flags of a command built on `mfld run`'s (sweep, stationary): its own flags, each with a
// value, set apart from the run flags, which go on to parseRunArgs.
import { ConfigError } from '../contract/config-parse';

/**
 * Splits `args` into the values of the command's `own` flags (`--flag value` or
 * `--flag=value`) and the rest; refuses a flag of `notTaken`, an own flag without a value or
 * given twice.
 */
export function splitCommandArgs(
  args: readonly string[],
  own: readonly string[],
  notTaken: readonly string[],
  command: string,
): { own: Map<string, string>; runArgs: string[] } {
  const values = new Map<string, string>();
  const runArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    const equals = token.indexOf('=');
    const name = equals < 0 ? token : token.slice(0, equals);
    if (!own.includes(name)) {
      if (notTaken.includes(name)) throw new ConfigError(`${name} is not taken by ${command}`);
      runArgs.push(token);
      continue;
    }
    let value = equals < 0 ? undefined : token.slice(equals + 1);
    if (value === undefined && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) {
      value = args[++i];
    }
    if (value === undefined || value === '') throw new ConfigError(`${name} needs a value`);
    if (values.has(name)) throw new ConfigError(`${name} is given twice`);
    values.set(name, value);
  }
  return { own: values, runArgs };
}
