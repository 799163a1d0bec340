/**
 * Peer (b): the same aggregation written the straightforward way with csv-parse: one object per
 * record, our own classification and date reading, a Map of group counts. No deduplication and no
 * writes, so it does less than `mailflow ingest`.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { classifyStatus } from '../../functions/core/classify/classify.ts';
import { outcomeForEvent } from '../../functions/core/formats/event-words.ts';
import { DateReader } from '../../functions/core/formats/dates.ts';

const file = process.argv[2]!;
const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
const records = input.pipe(parse({ columns: true, from_line: 2, bom: true, relax_quotes: true }));
const dates = new DateReader({ order: 'mdy' });
const groups = new Map<string, number>();
let counted = 0;
for await (const rec of records as AsyncIterable<Record<string, string>>) {
  const hint = outcomeForEvent(rec.Event!, true);
  if (hint === 'other') continue;
  const c = hint === 'delivered' ? null : classifyStatus(rec.Detail!, hint);
  const hour = Math.floor(dates.parse(rec.Date!) / 3_600_000);
  const domain = rec.RecipientAddress!.toLowerCase().split('@')[1] ?? '';
  const key = `${hour}|${c?.outcome ?? hint}|${c?.code ?? ''}|${c?.destination.server ?? ''}|${domain}`;
  groups.set(key, (groups.get(key) ?? 0) + 1);
  counted++;
}
console.log(JSON.stringify({ groups: groups.size, counted }));
