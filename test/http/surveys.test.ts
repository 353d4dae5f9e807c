// Surveys of /survey?slug= (spec/web-form.md A and C.5): operators publish them, the page reads one as
// an object and scores it in the browser, its result screen counts a completion. Replayed as the page
// sends and reads them (test/support/calendar-page.ts); the demo data's survey and calendar are opened the
// same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/demo/demo-data.ts';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { loadCalendar, openSurvey, readCalendar, scoreSurvey, viewerName } from '../support/calendar-page.ts';
import { browser, n8n } from '../support/web-form.ts';

let t: TestApp;

const survey = {
  title: 'Тревожность',
  description: 'Пять минут',
  content: [
    {
      step_id: 'q1',
      step_name: 'Как вы спите?',
      step_description: 'Один вариант',
      step_type: 'single',
      step_items: [
        { title: 'Хорошо', coins: 0 },
        { title: 'Плохо', coins: 3 },
      ],
    },
    {
      step_id: 'q_2',
      step_name: 'Что беспокоит?',
      step_type: 'multiple',
      step_items: [
        { title: 'Работа', coins: 1 },
        { title: 'Семья', coins: 2 },
      ],
    },
  ],
  results: [
    { from: 0, title: 'Норма', description: 'Всё в порядке' },
    { from: 4, title: 'Повышенная', description: 'Стоит поговорить с психологом' },
  ],
};

const put = (slug: string, body: unknown) =>
  t.admin({ method: 'PUT', url: `/admin/surveys/${slug}`, payload: body as object });

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

describe('get-survey (C.5.1 replayed)', () => {
  it('answers the published survey as the object the page reads, cacheable for a minute, and the page scores it', async () => {
    const saved = await put('anxiety-1', survey);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({
      success: true,
      created: true,
      survey: { slug: 'anxiety-1', is_published: true },
    });
    const res = await browser(t, 'GET', `${n8n('get-survey')}?slug=anxiety-1`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('max-age=60');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    // Exactly these fields: nothing else (no counts, no operators' data) reaches the page.
    expect(res.json()).toEqual({
      success: true,
      slug: 'anxiety-1',
      title: 'Тревожность',
      description: 'Пять минут',
      content: [{ ...survey.content[0] }, { ...survey.content[1], step_description: '' }],
      results: survey.results,
    });
    const page = (await openSurvey(t, 'anxiety-1'))!;
    expect(page.title).toBe('Тревожность');
    expect(scoreSurvey(page, { q1: 'Плохо', q_2: ['Работа', 'Семья'] })).toEqual({
      total: 6,
      description: 'Стоит поговорить с психологом',
    });
    expect(scoreSurvey(page, { q1: 'Хорошо', q_2: ['Работа'] }).description).toBe('Всё в порядке');
  });

  it('shows the 404 screen for an unknown or unpublished slug and for one the page could not send', async () => {
    await put('draft', { ...survey, is_published: false });
    for (const slug of ['draft', 'nope']) {
      const res = await browser(t, 'GET', `${n8n('get-survey')}?slug=${slug}`);
      expect(res.statusCode, slug).toBe(404);
      expect(res.json().error.type).toBe('survey_not_found');
      expect(await openSurvey(t, slug)).toBeNull();
    }
    const bad = await browser(t, 'GET', `${n8n('get-survey')}?slug=Bad.Slug`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('slug');
    expect((await browser(t, 'GET', n8n('get-survey'))).json().error.details[0].field).toBe('slug');
    // Unpublishing takes it down; a replace says created: false.
    const again = await put('anxiety-2', survey);
    expect(again.json().created).toBe(true);
    const replaced = await put('anxiety-2', { ...survey, is_published: false });
    expect(replaced.json().created).toBe(false);
    expect((await browser(t, 'GET', `${n8n('get-survey')}?slug=anxiety-2`)).statusCode).toBe(404);
  });
});

describe('check-fill-survey (C.5.2 replayed)', () => {
  it('counts completions per day and nothing about who; unknown or unpublished slugs are 404', async () => {
    await put('counted', survey);
    for (let i = 0; i < 3; i++) {
      const res = await browser(t, 'GET', `${n8n('check-fill-survey')}?slug=counted`, undefined, {
        ip: `203.0.113.${i}`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ success: true });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    t.clock.advance(86_400_000);
    try {
      await browser(t, 'GET', `${n8n('check-fill-survey')}?slug=counted`);
      expect((await browser(t, 'GET', `${n8n('check-fill-survey')}?slug=draft`)).statusCode).toBe(404);
      expect((await browser(t, 'GET', `${n8n('check-fill-survey')}?slug=missing`)).statusCode).toBe(404);
    } finally {
      t.clock.advance(-86_400_000);
    }
    const rows = await t.deps.db
      .selectFrom('survey_completions')
      .selectAll()
      .where('slug', '=', 'counted')
      .execute();
    expect(rows.map((r) => r.completions).sort()).toEqual([1, 3]);
    // The table holds a slug, a day and a number: nowhere to keep an address or an answer.
    expect(Object.keys(rows[0]!).sort()).toEqual(['completions', 'day', 'slug']);
    const list = await t.admin({ url: '/admin/surveys' });
    const counted = (
      list.json().surveys as { slug: string; completions_total: number; completions_by_day: unknown[] }[]
    ).find((s) => s.slug === 'counted')!;
    expect(counted.completions_total).toBe(4);
    expect(counted.completions_by_day).toEqual([
      { day: '2026-12-07', completions: 3 },
      { day: '2026-12-08', completions: 1 },
    ]);
    expect((await t.app.inject({ url: '/admin/surveys' })).statusCode).toBe(401);
  });

  it('is limited per address', async () => {
    await withTestApp({ RATE_LIMIT_SUBMIT: '2' }, async (s) => {
      await s.admin({ method: 'PUT', url: '/admin/surveys/limited', payload: survey });
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await browser(s, 'GET', `${n8n('check-fill-survey')}?slug=limited`, undefined, {
              ip: '198.51.100.1',
            })
          ).statusCode,
        );
      expect(statuses).toEqual([200, 200, 429]);
      const other = await browser(s, 'GET', `${n8n('check-fill-survey')}?slug=limited`, undefined, {
        ip: '198.51.100.2',
      });
      expect(other.statusCode).toBe(200);
    });
  });
});

describe('PUT /admin/surveys validation', () => {
  it('refuses what the page could not use, naming the field, and stores nothing', async () => {
    const step = survey.content[0]!;
    const cases: [unknown, string][] = [
      [{ ...survey, content: [] }, 'content'],
      [{ ...survey, content: [{ ...step, step_id: 'a.b' }] }, 'content.0.step_id'],
      [{ ...survey, content: [{ ...step, step_id: 'a[0]' }] }, 'content.0.step_id'],
      [{ ...survey, content: [{ ...step, step_type: 'scale' }] }, 'content.0.step_type'],
      [{ ...survey, content: [step, { ...step }] }, 'content.1.step_id'],
      [
        {
          ...survey,
          content: [
            {
              ...step,
              step_items: [
                { title: 'A', coins: 1 },
                { title: 'A', coins: 2 },
              ],
            },
          ],
        },
        'content.0.step_items.1.title',
      ],
      [
        { ...survey, content: [{ ...step, step_items: [{ title: 'A', coins: 'много' }] }] },
        'content.0.step_items.0.coins',
      ],
      [{ ...survey, content: [{ ...step, step_items: [] }] }, 'content.0.step_items'],
      [{ ...survey, results: [] }, 'results'],
      [
        {
          ...survey,
          results: [
            { from: 0, title: 'x', description: 'y' },
            { from: 0, title: 'z', description: 'w' },
          ],
        },
        'results.1.from',
      ],
      [{ ...survey, title: undefined }, 'title'],
    ];
    for (const [body, field] of cases) {
      const res = await put('invalid', body);
      expect(res.statusCode, field).toBe(400);
      expect(
        res.json().error.details.map((d: { field: string }) => d.field),
        field,
      ).toContain(field);
    }
    expect(
      (await t.admin({ method: 'PUT', url: '/admin/surveys/Bad_Slug', payload: survey })).statusCode,
    ).toBe(400);
    const stored = await t.deps.db
      .selectFrom('surveys')
      .select('slug')
      .where('slug', '=', 'invalid')
      .execute();
    expect(stored).toEqual([]);
  });
});

describe('the demo data', () => {
  it('has the survey `demo` and a calendar a newcomer can open with the printed link', async () => {
    await withTestApp({}, async (s) => {
      const loaded = await loadDemoData(s.deps);
      const page = (await openSurvey(s, 'demo'))!;
      expect(page.content.length).toBeGreaterThan(1);
      expect(
        scoreSurvey(page, { sleep: 'Почти всегда', worry: 'Часто', signs: ['Раздражительность'] }).total,
      ).toBe(6);

      expect(loaded.events).toBeGreaterThanOrEqual(3);
      const url = new URL(loaded.calendarUrl);
      expect(url.pathname).toBe('/calendar');
      const secret = url.searchParams.get('secret')!;
      const { events, slots } = await loadCalendar(s, secret);
      const shown = readCalendar(events, slots);
      expect(shown.length).toBe(loaded.events);
      expect(shown.filter((e) => e.is_registered)).toHaveLength(1);
      expect(await viewerName(s, secret)).toBe('Дмитрий Ковалёв');
      // The link is in no log line.
      expect(s.logs.text()).not.toContain(secret);
    });
  });
});
