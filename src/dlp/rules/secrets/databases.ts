// Connection strings that carry a password.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, synth } from '../synth.ts';

const pw = (l: string) => synth(l, ALNUM, 16);

/** scheme://user:password@host — the password is the sensitive span. */
function urlRule(
  id: string,
  schemes: string,
  keywords: string[],
  sample: string,
  description: string,
): SecretRule {
  const scheme = sample.slice(0, sample.indexOf('://'));
  return {
    id,
    type: 'DATABASE_URL_PASSWORD',
    description,
    keywords,
    pattern: String.raw`(?i:${schemes})://[^\s:/?#@'"]{1,128}:(?P<secret>[^\s@/'"]{1,256})@[A-Za-z0-9.\-\[\]_]+`,
    severity: 'critical',
    examples: {
      positive: [`DATABASE_URL=${sample.replace('PW', pw(id))}`, `"${sample.replace('PW', pw(id + '2'))}"`],
      negative: [sample.replace(':PW', ''), `${scheme}://host/db`],
    },
  };
}

export const databaseRules: SecretRule[] = [
  urlRule(
    'postgres-url-password',
    'postgres(?:ql)?(?:\\+[a-z0-9]+)?',
    ['postgres'],
    'postgresql://app:PW@db.internal:5432/app',
    'PostgreSQL URL with a password.',
  ),
  urlRule(
    'mysql-url-password',
    'mysql(?:x)?(?:\\+[a-z0-9]+)?|mariadb',
    ['mysql', 'mariadb'],
    'mysql://root:PW@10.0.0.5:3306/shop',
    'MySQL / MariaDB URL with a password.',
  ),
  urlRule(
    'mongodb-url-password',
    'mongodb(?:\\+srv)?',
    ['mongodb'],
    'mongodb+srv://admin:PW@cluster0.abc.mongodb.net/db',
    'MongoDB URL with a password.',
  ),
  urlRule(
    'redis-url-password',
    'rediss?',
    ['redis'],
    'rediss://default:PW@cache.internal:6380/0',
    'Redis URL with a password.',
  ),
  urlRule(
    'amqp-url-password',
    'amqps?',
    ['amqp'],
    'amqp://guest:PW@mq.internal:5672/vhost',
    'AMQP (RabbitMQ) URL with a password.',
  ),
  urlRule(
    'mssql-url-password',
    'mssql|sqlserver',
    ['mssql', 'sqlserver'],
    'mssql://sa:PW@sql.internal:1433/db',
    'SQL Server URL with a password.',
  ),
  urlRule(
    'ldap-url-password',
    'ldaps?',
    ['ldap'],
    'ldaps://cn=admin:PW@ldap.internal',
    'LDAP URL with a bind password.',
  ),
  urlRule(
    'ftp-url-password',
    's?ftp',
    ['ftp'],
    'ftp://deploy:PW@files.internal/upload',
    'FTP / SFTP URL with a password.',
  ),
  urlRule(
    'smtp-url-password',
    'smtps?',
    ['smtp'],
    'smtp://mailer:PW@smtp.internal:587',
    'SMTP URL with a password.',
  ),
  urlRule(
    'clickhouse-url-password',
    'clickhouse',
    ['clickhouse'],
    'clickhouse://default:PW@ch.internal:9000/db',
    'ClickHouse URL with a password.',
  ),
  urlRule(
    'cassandra-url-password',
    'cassandra|cql',
    ['cassandra', 'cql'],
    'cassandra://app:PW@cass.internal:9042/ks',
    'Cassandra URL with a password.',
  ),
  urlRule(
    'elasticsearch-url-password',
    'elasticsearch|opensearch',
    ['elasticsearch', 'opensearch'],
    'elasticsearch://elastic:PW@es.internal:9200',
    'Elasticsearch URL with a password.',
  ),
  {
    id: 'jdbc-url-password',
    type: 'DATABASE_URL_PASSWORD',
    description: 'JDBC URL with a password parameter.',
    keywords: ['jdbc:'],
    pattern: String.raw`jdbc:[a-z0-9]+:[^\s"']{0,300}?[?;&](?i:password|pwd)=(?P<secret>[^\s&;"']{1,128})`,
    severity: 'critical',
    examples: {
      positive: [
        `jdbc:postgresql://db:5432/app?user=app&password=${pw('jdbc')}`,
        `jdbc:sqlserver://db;user=sa;password=${pw('jdbc2')};`,
      ],
      negative: ['jdbc:postgresql://db:5432/app?user=app'],
    },
  },
  {
    id: 'url-basic-auth-password',
    type: 'URL_PASSWORD',
    description: 'Any http(s) URL with user:password@ credentials.',
    keywords: ['://'],
    pattern: String.raw`(?i:https?)://[^\s:/?#@'"]{1,128}:(?P<secret>[^\s@/'"]{3,256})@[A-Za-z0-9.\-\[\]_]+`,
    severity: 'high',
    generic: true,
    examples: {
      positive: [`https://admin:${pw('http')}@intranet.corp/admin`],
      negative: ['https://intranet.corp/admin', 'https://user@intranet.corp'],
    },
  },
  {
    id: 'cli-password-argument',
    type: 'PASSWORD',
    description: 'Password passed to redis-cli -a or mysql -p on a command line.',
    keywords: ['redis-cli', 'mysql'],
    pattern: String.raw`(?:redis-cli\b[^\n]{0,100}?\s-a\s+|mysql(?:dump|admin)?\b[^\n]{0,100}?\s(?:-p|--password=))["']?(?P<secret>[^\s"']{4,})`,
    severity: 'high',
    examples: {
      positive: [`mysql -u root -p${pw('mysqlcli')} shop`, `redis-cli -h cache -a ${pw('rcli')} ping`],
      negative: ['mysql -u root -p shop'],
    },
  },
];
