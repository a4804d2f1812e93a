import type { Initiator, Protocol, Security, Severity, SourceRef, TlsVersion, UnmatchedPolicy } from './matrix.js';

/** A rules file as written, once it has passed rules/schema.json. */
export interface RawMatrixFile {
  readonly apiVersion: 'flowaudit.dev/v1';
  readonly kind: 'ConnectionMatrix';
  readonly metadata: { readonly name: string; readonly title: string; readonly description?: string; readonly source?: SourceRef };
  readonly include?: readonly string[];
  readonly unmatched?: UnmatchedPolicy;
  readonly defaults?: RawDefaults;
  readonly components?: Readonly<Record<string, RawComponent>>;
  readonly connections?: readonly RawConnection[];
}

/** Defaults for the file's rules; a reason is required (schema) when the floor is below TLS 1.2. */
export interface RawDefaults {
  readonly minTlsVersion?: TlsVersion;
  readonly minTlsVersionReason?: string;
}

export interface RawComponent {
  readonly description?: string;
  readonly context?: boolean;
  readonly replaceable?: boolean;
  readonly match: readonly RawSelector[];
  readonly except?: readonly string[];
}

/** Exactly one key (schema: minProperties = maxProperties = 1). */
export interface RawSelector {
  readonly kubernetes?: { readonly resource?: 'pod' | 'service' | 'node'; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly pod?: string | { readonly name: string; readonly namespace?: string };
  readonly cidrs?: readonly string[];
  readonly hostnames?: readonly string[];
  readonly external?: true;
  readonly internal?: true;
}

export interface RawConnection {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly protocol: Protocol;
  readonly ports: readonly (number | string)[];
  readonly security: Security;
  readonly minTlsVersion?: TlsVersion;
  readonly minTlsVersionReason?: string;
  readonly initiator?: Initiator;
  readonly severity?: Severity;
  readonly optional?: boolean;
  readonly description?: string;
  readonly source?: SourceRef;
}
