import { InvalidInputError } from '../../domain/errors.js';
import { DestinationTypes } from './destination-types.js';
import {
  NATS_SECRET_FIELDS,
  NatsDestination,
  NatsDestinationSchema,
  natsDestinationProblem,
} from './nats-destination.js';
import type { NatsDestinationConfig } from './nats-config.js';
import {
  checkSplunkHecConfig,
  createSplunkHecDestination,
  SPLUNK_HEC_SECRET_FIELDS,
  SplunkHecDestinationSchema,
  type SplunkHecDestinationConfig,
} from './splunk-hec-destination.js';
import {
  SyslogDestination,
  SyslogDestinationSchema,
  type SyslogDestinationConfig,
} from './syslog-destination.js';
import {
  checkWebhookConfig,
  createWebhookDestination,
  WEBHOOK_SECRET_FIELDS,
  WebhookDestinationSchema,
  type WebhookDestinationConfig,
} from './webhook-destination.js';

// Settings reach hosts(), validate() and create() having passed the type's own schema: they are its config.

/** The host of a URL setting. */
const hostOf = (url: unknown) => new URL(String(url)).hostname;
/** Every destination a stream may name: webhook, syslog, NATS JetStream, Splunk HEC. */
export function destinationTypes(): DestinationTypes {
  return new DestinationTypes([
    {
      type: 'webhook',
      schema: WebhookDestinationSchema,
      secretFields: WEBHOOK_SECRET_FIELDS,
      hosts: (settings) => [hostOf(settings.url)],
      validate: (settings) => void checkWebhookConfig(settings as unknown as WebhookDestinationConfig),
      create: (settings) => createWebhookDestination(settings as unknown as WebhookDestinationConfig),
    },
    {
      type: 'syslog',
      schema: SyslogDestinationSchema,
      secretFields: [],
      hosts: (settings) => [String(settings.host)],
      // The constructor checks the settings and connects only on the first delivery.
      validate: (settings) => {
        void new SyslogDestination(settings as unknown as SyslogDestinationConfig).close();
      },
      create: (settings) => new SyslogDestination(settings as unknown as SyslogDestinationConfig),
    },
    {
      type: 'nats',
      schema: NatsDestinationSchema,
      secretFields: NATS_SECRET_FIELDS,
      hosts: (settings) => {
        const { servers } = settings as unknown as NatsDestinationConfig;
        return (typeof servers === 'string' ? [servers] : servers).map(hostOf);
      },
      validate: (settings) => {
        const problem = natsDestinationProblem(settings as unknown as NatsDestinationConfig);
        if (problem !== undefined) throw new InvalidInputError(`destination: ${problem}`);
      },
      create: (settings) => new NatsDestination(settings as unknown as NatsDestinationConfig),
    },
    {
      type: 'splunk-hec',
      schema: SplunkHecDestinationSchema,
      secretFields: SPLUNK_HEC_SECRET_FIELDS,
      hosts: (settings) => [hostOf(settings.url)],
      validate: (settings) => void checkSplunkHecConfig(settings as unknown as SplunkHecDestinationConfig),
      create: (settings) => createSplunkHecDestination(settings as unknown as SplunkHecDestinationConfig),
    },
  ]);
}
