// Network addresses: IPv4 and IPv6 (validated by node:net, not by the candidate pattern).
import { isIPv6 } from 'node:net';
import type { PatternRule } from '../secret-rule.ts';

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';

export const ipv4Rule: PatternRule = {
  id: 'ipv4-address',
  type: 'IP_ADDRESS',
  category: 'pii',
  description: 'IPv4 address.',
  keywords: [],
  pattern: String.raw`(?:^|[^0-9A-Za-z.])(?P<secret>${OCTET}(?:\.${OCTET}){3})(?:[^0-9A-Za-z.]|\.(?:[^0-9]|$)|$)`,
  // A product token's version ("Chrome/120.0.0.0") is not an address; a URL's host ("//10.0.0.5") is.
  validate: (_v, ctx) => !(ctx.text[ctx.start - 1] === '/' && /[A-Za-z]/.test(ctx.text[ctx.start - 2] ?? '')),
  severity: 'low',
  examples: {
    positive: ['server 10.20.30.40 is down', 'from 192.168.1.254.', 'ip=8.8.8.8'],
    negative: ['version 1.2.3', '256.1.1.1', '1.2.3.4.5', 'v10.20.30.40', 'Chrome/120.0.0.0 Safari'],
  },
};

export const ipv6Rule: PatternRule = {
  id: 'ipv6-address',
  type: 'IP_ADDRESS',
  category: 'pii',
  description: 'IPv6 address (full or compressed).',
  keywords: [],
  pattern: String.raw`(?:^|[^0-9A-Za-z:])(?P<secret>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::[0-9]{1,3}(?:\.[0-9]{1,3}){3})?)(?:[^0-9A-Za-z:]|$)`,
  validate: (v) => v.length >= 3 && /[0-9A-Fa-f]/.test(v) && isIPv6(v),
  severity: 'low',
  examples: {
    positive: ['host 2001:db8:85a3::8a2e:370:7334 up', 'loopback ::1', 'fe80:0:0:0:202:b3ff:fe1e:8329'],
    negative: ['at 12:30:45', 'a::b::c', 'ratio 1:2'],
  },
};
