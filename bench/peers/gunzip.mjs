/** Peer (d): plain zlib gunzip of the file, output discarded: the ceiling for reading a .gz. */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

let bytes = 0;
for await (const chunk of createReadStream(process.argv[2], { highWaterMark: 256 * 1024 }).pipe(createGunzip())) bytes += chunk.length;
console.log(JSON.stringify({ bytes }));
