/**
 * Registry entries for the workflow's setting: identity, security, governance and operations
 * (metadata … auditing, in the order of the original sample). Read through sections.ts.
 */
import type { FieldSpec, SectionSpec } from './types.js';

/** The key field of a list entry; other sections refer to the entry by it. */
export const keyName = (what: string): FieldSpec => ({
  name: 'name',
  type: 'string',
  description: `Unique name of the ${what}; other sections refer to it by this name.`,
  required: true,
});

/** How a secret is written in a document; the runtime resolves it from the key store. */
export const SECRET_REF = '$' + '{secret:NAME}';

export const SETUP_SECTIONS: readonly SectionSpec[] = [
  {
    name: 'metadata',
    kind: 'table',
    description: 'Name and version of the workflow.',
    fields: [
      { name: 'name', type: 'string', description: 'Human-readable name of the workflow.' },
      {
        name: 'version',
        type: 'string',
        description: 'Version of the workflow, e.g. 1.0.0.',
        example: '1.0.0',
      },
      { name: 'description', type: 'string', description: 'What the workflow does.' },
    ],
    example: '/add metadata name="Model training" version="1.1.0"',
  },
  {
    name: 'communication',
    kind: 'table',
    description: 'Secure communication settings.',
    fields: [
      {
        name: 'protocol',
        type: 'string',
        description: 'Transport security protocol.',
        knownValues: ['TLS', 'DTLS', 'QUIC'],
      },
      {
        name: 'cipher',
        type: 'string',
        description: 'Cipher suite used for encryption.',
        example: 'AES256-GCM',
      },
      {
        name: 'port',
        type: 'integer',
        description: 'Port used for secure communication.',
        min: 1,
        max: 65535,
      },
    ],
    example: '/add communication protocol="TLS" cipher="AES256-GCM" port=443',
  },
  {
    name: 'roles',
    kind: 'list',
    key: 'name',
    description: 'Access roles and their privileges.',
    fields: [
      keyName('role'),
      {
        name: 'privileges',
        type: 'string[]',
        description: 'What members may do, e.g. read, write, execute, all.',
      },
      { name: 'description', type: 'string', description: 'Who holds the role.' },
    ],
    example: '/add roles name="DataScientist" privileges=["read", "execute"]',
  },
  {
    name: 'repositories',
    kind: 'list',
    key: 'name',
    description: 'Source repositories the workflow uses.',
    fields: [
      keyName('repository'),
      { name: 'url', type: 'url', description: 'Clone URL of the repository.' },
      {
        name: 'access_role',
        type: 'string',
        description: 'Role that may access the repository.',
        references: 'roles',
      },
    ],
    example:
      '/add repositories name="SecondaryRepo" url="https://github.com/example/secondary-repo.git" access_role="Developer"',
  },
  {
    name: 'templates',
    kind: 'list',
    key: 'name',
    description: 'Project templates, one per language (Rust, Python, JavaScript, …).',
    fields: [
      keyName('template'),
      { name: 'language', type: 'string', description: 'Language of the template.', example: 'Rust' },
      { name: 'url', type: 'url', description: 'Clone URL of the template.' },
    ],
    example:
      '/add templates name="Python Template" language="Python" url="https://github.com/example/py-template.git"',
  },
  {
    name: 'keys',
    kind: 'table',
    description: `Secure key management: where ${SECRET_REF} references are resolved.`,
    fields: [
      {
        name: 'key_store',
        type: 'string',
        description:
          'Key store holding the secrets; env and file are built in, the others need cloud access.',
        knownValues: ['AWS_KMS', 'GCP_KMS', 'Azure_Key_Vault', 'HashiCorp_Vault', 'env', 'file'],
      },
      {
        name: 'key_rotation_interval',
        type: 'duration',
        description: 'How often keys are rotated.',
        example: '30 days',
      },
    ],
    example: '/add keys key_store="HashiCorp_Vault" key_rotation_interval="30 days"',
  },
  {
    name: 'ai_governance',
    kind: 'table',
    description:
      'AI governance: the privacy law and the fairness and transparency rules the workflow follows.',
    fields: [
      {
        name: 'data_privacy',
        type: 'string',
        description: 'Data privacy regulation.',
        knownValues: ['GDPR', 'CCPA', 'PIPEDA', 'LGPD'],
      },
      { name: 'fairness', type: 'string', description: 'Algorithmic fairness regulation.' },
      { name: 'transparency', type: 'string', description: 'AI transparency regulation.' },
    ],
    example: '/add ai_governance data_privacy="CCPA" fairness="Algorithmic_Fairness_Act"',
  },
  {
    name: 'logging',
    kind: 'table',
    description: 'Where and how much the workflow logs.',
    fields: [
      {
        name: 'level',
        type: 'string',
        description: 'Log level.',
        knownValues: ['error', 'warn', 'info', 'debug'],
      },
      {
        name: 'destination',
        type: 'string',
        description: 'Log destination.',
        knownValues: ['CloudWatch', 'Stackdriver', 'Azure_Monitor', 'Elasticsearch'],
      },
      { name: 'retention', type: 'duration', description: 'How long logs are kept.', example: '30 days' },
    ],
    example: '/add logging level="debug" destination="Elasticsearch"',
  },
  {
    name: 'monitoring',
    kind: 'table',
    description: 'Metrics, tracing and health checks.',
    fields: [
      { name: 'metrics_destination', type: 'string', description: 'Metrics backend.', example: 'Prometheus' },
      { name: 'tracing_destination', type: 'string', description: 'Tracing backend.', example: 'Jaeger' },
      {
        name: 'health_check_interval',
        type: 'duration',
        description: 'Time between health checks.',
        example: '5 minutes',
      },
    ],
    example: '/add monitoring metrics_destination="Prometheus" health_check_interval="1 minute"',
  },
  {
    name: 'error_handling',
    kind: 'table',
    description: 'How failed actions are retried.',
    fields: [
      {
        name: 'retry_count',
        type: 'integer',
        description: 'Retries after the first failure.',
        min: 0,
        max: 100,
      },
      {
        name: 'retry_interval',
        type: 'duration',
        description: 'Wait between retries.',
        example: '5 seconds',
      },
      {
        name: 'run_timeout',
        type: 'duration',
        description: 'How long a run may take before it is timed out (default 5 minutes).',
        example: '30 minutes',
      },
    ],
    example: '/add error_handling retry_count=5 retry_interval="10 seconds"',
  },
  {
    name: 'dependencies',
    kind: 'list',
    key: 'name',
    description: 'Libraries the workflow depends on, with versions.',
    fields: [
      keyName('dependency'),
      { name: 'version', type: 'string', description: 'Version or range.', example: '1.14.0' },
    ],
    example: '/add dependencies name="tokio" version="1.14.0"',
  },
  {
    name: 'auditing',
    kind: 'table',
    description: 'Periodic audits and where their reports go.',
    fields: [
      { name: 'interval', type: 'duration', description: 'Time between audits.', example: '90 days' },
      {
        name: 'report_destination',
        type: 'string',
        description: 'Where reports go.',
        example: 'email:audit@example.com',
      },
    ],
    example: '/add auditing interval="90 days" report_destination="email:audit@example.com"',
  },
];
