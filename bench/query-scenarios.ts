import {
  BIG_TENANT,
  CHINESE_TERM_1,
  CHINESE_TERM_3,
  COMMON_TERM,
  DATA_END_MS,
  DATA_START_MS,
  RARE_TERM,
} from './data-generator.js';
import { getJson, mintToken, timeRequests, tuyaClient, type Latency } from './measure.js';

const DAY_MS = 86_400_000;

/** The user whose logs the filtered scenario (3) and scenario 6 read. */
export const FILTERED_USER = 'usr_3';

/** One named request and its latencies. */
export interface TimedQuery {
  name: string;
  request: string;
  latency: Latency;
}

/** The requests of scenarios 2–4 against one running server, each a closure timed on its own. */
export async function queryCatalogue(baseUrl: string) {
  const admin = await mintToken({ tenant_id: BIG_TENANT, roles: ['admin'] }, 'usr_admin0');
  const tuya = await tuyaClient(baseUrl);
  const authms = (path: string) => async () => {
    await getJson(baseUrl, path, admin);
  };
  const operate = (query: Record<string, string>) => async () => {
    await tuya(query);
  };
  // The cursor 1,000 pages deep, found by walking once (untimed).
  let cursor = '';
  for (let page = 0; page < 1000; page++) {
    const result = await tuya({ size: '20', ...(cursor === '' ? {} : { last_row_key: cursor }) });
    cursor = result.last_row_key;
  }
  const day = DATA_END_MS - 30 * DAY_MS;
  const paging = {
    'AuthMS communication logs, page 1': '/admin/communication/logs?page_size=20&page=1',
    'AuthMS communication logs, page 500 (offset)': '/admin/communication/logs?page_size=20&page=500',
  };
  const filters = {
    'communication logs by user': `/admin/communication/logs?user_id=${FILTERED_USER}&page_size=20`,
    'communication logs, channel + status':
      '/admin/communication/logs?channel=sms&status=failed&page_size=20',
    'MFA by operator, one week': `/admin/mfa/config-audit-logs?operator_id=usr_admin1&start_date=2026-10-01&end_date=2026-10-07&page_size=20`,
  };
  return {
    paging: [
      ...Object.entries(paging).map(([name, path]) => ({ name, request: path, run: authms(path) })),
      { name: 'Tuya operate logs, cursor page 1', request: 'size=20', run: operate({ size: '20' }) },
      {
        name: 'Tuya operate logs, cursor page 1,000',
        request: 'size=20&last_row_key=…',
        run: operate({ size: '20', last_row_key: cursor }),
      },
    ],
    filters: [
      ...Object.entries(filters).map(([name, path]) => ({ name, request: path, run: authms(path) })),
      {
        name: 'Tuya operate_type, one day',
        request: `operate_type=device_control&start_time=${day}&end_time=${day + DAY_MS - 1}`,
        run: operate({
          size: '20',
          operate_type: 'device_control',
          start_time: String(day),
          end_time: String(day + DAY_MS - 1),
        }),
      },
    ],
    histograms: histogramScenarios().map(({ name, request }) => ({ name, request, run: authms(request) })),
    keywords: [
      { name: 'key_words rare', term: RARE_TERM },
      { name: 'key_words common', term: COMMON_TERM },
      { name: 'key_words Chinese, 3 characters', term: CHINESE_TERM_3 },
      { name: 'key_words Chinese, 1 character', term: CHINESE_TERM_1 },
    ].map(({ name, term }) => ({
      name,
      request: `key_words=${term}`,
      run: operate({ size: '20', key_words: term }),
    })),
  };
}

/**
 * The console's volume histograms of the largest tenant (GET /v1/stats/{kind}/histogram): ranges
 * ending at the loaded data's end, the volume table's filters (tenant, channel, status,
 * operate_type) and the filters counted row by row (user_id, operator_id, key_words).
 */
function histogramScenarios(): { name: string; request: string }[] {
  const range = (days: number) =>
    `from=${new Date(DATA_END_MS - days * DAY_MS).toISOString()}&until=${new Date(DATA_END_MS).toISOString()}`;
  const whole = `from=${new Date(DATA_START_MS).toISOString()}&until=${new Date(DATA_END_MS).toISOString()}`;
  const comm = '/v1/stats/communication-log/histogram';
  const operate = '/v1/stats/operate-log/histogram';
  return [
    { name: 'histogram per hour, 24 h', request: `${comm}?interval=hour&${range(1)}` },
    { name: 'histogram per hour, 7 days', request: `${comm}?interval=hour&${range(7)}` },
    { name: 'histogram per day, 30 days', request: `${comm}?interval=day&${range(30)}` },
    { name: 'histogram per day, whole range', request: `${comm}?interval=day&${whole}` },
    {
      name: 'histogram per hour, 7 days, channel + status',
      request: `${comm}?interval=hour&channel=sms&status=failed&${range(7)}`,
    },
    {
      name: 'histogram per day, whole range, operate_type',
      request: `${operate}?interval=day&operate_type=login&${whole}`,
    },
    {
      name: 'histogram per day, whole range, by user',
      request: `${comm}?interval=day&user_id=${FILTERED_USER}&${whole}`,
    },
    {
      name: 'histogram per day, 30 days, MFA by operator',
      request: `/v1/stats/mfa-config-audit-log/histogram?interval=day&operator_id=usr_admin1&${range(30)}`,
    },
    {
      name: 'histogram per hour, 24 h, key_words common',
      request: `${operate}?interval=hour&key_words=${COMMON_TERM}&${range(1)}`,
    },
    {
      // The console's default range: a common term is counted row by row over the whole week.
      name: 'histogram per hour, 7 days, key_words common',
      request: `${operate}?interval=hour&key_words=${COMMON_TERM}&${range(7)}`,
    },
    {
      name: 'histogram per hour, 7 days, key_words rare',
      request: `${operate}?interval=hour&key_words=${RARE_TERM}&${range(7)}`,
    },
  ];
}

export type QueryCatalogue = Awaited<ReturnType<typeof queryCatalogue>>;

/** Times each query of a group. */
export async function timeGroup(
  group: readonly { name: string; request: string; run: () => Promise<void> }[],
  iterations: number,
): Promise<TimedQuery[]> {
  const timed: TimedQuery[] = [];
  for (const query of group) {
    timed.push({
      name: query.name,
      request: query.request,
      latency: await timeRequests(query.run, iterations),
    });
    process.stderr.write(`    ${query.name}: p99 ${timed.at(-1)?.latency.p99} ms\n`);
  }
  return timed;
}
