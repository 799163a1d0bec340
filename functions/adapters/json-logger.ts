import type { Logger } from '../core/ports.ts';

/** One JSON object per line (CloudWatch parses it); the message is a short phrase, the data in fields. */
export function createJsonLogger(base: Record<string, unknown> = {}, write: (line: string) => void = (l) => console.log(l)): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, message, time: new Date().toISOString(), ...base, ...fields }));
  return { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}
