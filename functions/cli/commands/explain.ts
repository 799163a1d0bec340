import { defineCommand } from '../command.ts';
import { explainStatus } from '../../core/classify/classify.ts';
import { OWNER_TEXT } from '../../core/classify/owners.ts';
import { UsageError } from '../../core/errors.ts';
import { parseLang } from '../args.ts';

export const EXPLAIN_HELP = `Usage: mailflow explain <status text | code> [--lang en|it] [--json]

Paste a status from a message trace, a tracking log or an NDR, or just a code, and get
what it means, who has to fix it and what to do.

  mailflow explain 4.4.316
  mailflow explain "Reason: [{LED=450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required]}]"
  mailflow explain "550 5.7.26 Unauthenticated email" --lang it --json

Options:
  --lang en|it   language of the explanation (default en)
  --json         print one JSON object (code, replyCode, outcome, category, transient,
                 owner, innerReply, destination, title, cause, action)
`;

const LABELS = {
  en: {
    outcome: 'Outcome',
    category: 'Category',
    owner: 'Who acts',
    reply: 'Reply',
    inner: 'Remote said',
    dest: 'Destination',
    cause: 'Cause',
    action: 'Action',
    transient: 'transient, retried',
    permanent: 'final',
  },
  it: {
    outcome: 'Esito',
    category: 'Categoria',
    owner: 'Chi interviene',
    reply: 'Risposta',
    inner: 'Risposta remota',
    dest: 'Destinazione',
    cause: 'Causa',
    action: 'Azione',
    transient: 'temporaneo, ritentato',
    permanent: 'definitivo',
  },
};

export const explainCommand = defineCommand({
  name: 'explain',
  help: EXPLAIN_HELP,
  options: { lang: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const text = positionals.join(' ').trim();
    if (!text) throw new UsageError('MISSING_ARGUMENT', 'explain needs a status text or a code, e.g. mailflow explain 4.4.316');
    const lang = parseLang(values.lang) ?? 'en';
    const e = explainStatus(text, lang);
    // A guess from words alone would be confidently wrong ("hello world" is not a failure).
    if (!e.code && !e.replyCode && e.outcome !== 'expired') {
      throw new UsageError(
        'NO_STATUS_CODE',
        `no status code found in "${text.slice(0, 80)}": paste the status as the trace shows it (e.g. "550 5.1.10 RESOLVER.ADR.RecipientNotFound") or a code (e.g. 4.4.316)`,
      );
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify(e)}\n`);
      return 0;
    }
    const L = LABELS[lang];
    const lines = [
      `${e.code ?? e.replyCode ?? '(no code)'}  ${e.title}`,
      `  ${L.outcome.padEnd(16)} ${e.outcome}${e.transient === null ? '' : ` (${e.transient ? L.transient : L.permanent})`}`,
    ];
    if (e.category) lines.push(`  ${L.category.padEnd(16)} ${e.category}`);
    if (e.owner) lines.push(`  ${L.owner.padEnd(16)} ${OWNER_TEXT[lang][e.owner]}`);
    if (e.replyCode) lines.push(`  ${L.reply.padEnd(16)} ${e.replyCode}`);
    if (e.innerReply) lines.push(`  ${L.inner.padEnd(16)} ${e.innerReply}`);
    if (e.destination.server || e.destination.ip)
      lines.push(`  ${L.dest.padEnd(16)} ${[e.destination.server, e.destination.ip && `(${e.destination.ip})`].filter(Boolean).join(' ')}`);
    lines.push('', `  ${L.cause}: ${e.cause}`, `  ${L.action}: ${e.action}`, '');
    io.stdout.write(lines.join('\n'));
    return 0;
  },
});
