// The operators' reports on the web forms (spec/admin-api.md): the form funnel and the CSV exports of
// research responses and applications. Service key only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  applicationsCsv,
  funnelReport,
  MAX_EXPORT_ROWS,
  researchCsv,
  type Period,
} from '../../commands/reports.ts';
import { DAY_MS, parseYmd } from '../../domain/time.ts';
import { TICKET_TYPES } from '../../domain/vocabulary.ts';
import { badRequest } from '../../errors.ts';
import { Enum, Text, Ymd } from '../schemas.ts';
import { MAX_PAGE } from '../../domain/limits.ts';

const security: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];
const PeriodQuery = {
  from: Type.Optional(Ymd),
  to: Type.Optional(Ymd),
};

/** Whole Moscow days: `from` inclusive, `to` including its whole day. */
function period(query: { from?: string; to?: string }): Period {
  const from = query.from ? parseYmd(query.from) : undefined;
  if (from === null) throw badRequest('from', 'must be a real date YYYY-MM-DD');
  const last = query.to ? parseYmd(query.to) : undefined;
  if (last === null) throw badRequest('to', 'must be a real date YYYY-MM-DD');
  if (from && last && last.getTime() < from.getTime()) throw badRequest('to', 'must not be before from');
  return { ...(from ? { from } : {}), ...(last ? { to: new Date(last.getTime() + DAY_MS) } : {}) };
}

const FunnelStep = Type.Object({
  step: Type.String(),
  tickets: Type.Integer({ description: 'tracked forms that reached the step' }),
  share_of_start: Type.Number({ description: 'tickets / started' }),
  drop_off: Type.Integer({ description: 'lost since the previous step' }),
  drop_off_share: Type.Number({ description: 'drop_off / the previous step’s tickets' }),
});

const CsvText = Type.String({ description: 'CSV, UTF-8 with a BOM, CRLF rows, a header row' });

function csvReply(name: string) {
  return {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name}"`,
  };
}

export async function adminReportRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  const tags = ['admin'];

  app.get(
    '/admin/analytics/funnel',
    {
      config: { access: 'service' },
      schema: {
        tags,
        security,
        summary: 'The web forms’ funnel: steps in first-seen order with counts, shares and drop-off',
        description: `The first ${MAX_PAGE} steps and the ${MAX_PAGE} form types started most often.`,
        querystring: Type.Object({ form_type: Type.Optional(Text(200)), ...PeriodQuery }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            form_type: Type.Union([Type.String(), Type.Null()]),
            started: Type.Integer({ description: 'tracked forms in the period' }),
            steps: Type.Array(FunnelStep, { maxItems: MAX_PAGE }),
            form_types: Type.Array(
              Type.Object({
                form_type: Type.String(),
                started: Type.Integer(),
                steps: Type.Array(FunnelStep, { maxItems: MAX_PAGE }),
              }),
              { maxItems: MAX_PAGE },
            ),
          }),
        },
      },
    },
    async (request) =>
      funnelReport(deps, request.actor, {
        ...period(request.query),
        ...(request.query.form_type ? { formType: request.query.form_type } : {}),
      }),
  );

  app.get(
    '/admin/research.csv',
    {
      config: { access: 'service' },
      schema: {
        tags,
        security,
        summary: 'Research questionnaire responses as CSV (for spreadsheets)',
        description: `At most ${MAX_EXPORT_ROWS} rows: a period holding more is refused (400 naming from).`,
        querystring: Type.Object(PeriodQuery),
        response: { 200: CsvText },
      },
    },
    async (request, reply) => {
      const text = await researchCsv(deps, request.actor, period(request.query));
      return reply.headers(csvReply('research.csv')).send(text);
    },
  );

  app.get(
    '/admin/applications.csv',
    {
      config: { access: 'service' },
      schema: {
        tags,
        security,
        summary: 'Applications (tickets) as CSV (for spreadsheets)',
        description: `At most ${MAX_EXPORT_ROWS} rows: a period holding more is refused (400 naming from).`,
        querystring: Type.Object({ ...PeriodQuery, type: Type.Optional(Enum(TICKET_TYPES)) }),
        response: { 200: CsvText },
      },
    },
    async (request, reply) => {
      const text = await applicationsCsv(deps, request.actor, {
        ...period(request.query),
        ...(request.query.type ? { type: request.query.type } : {}),
      });
      return reply.headers(csvReply('applications.csv')).send(text);
    },
  );
}
