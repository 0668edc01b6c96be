import type { ChildProcess } from 'node:child_process';

/** Types for service.js, which the TypeScript tests import. */

export declare const SINCH_EXAMPLE: Readonly<{ applicationKey: string; applicationSecret: string }>;

export declare function freePort(): Promise<number>;

export declare function databaseUri(base: string, name: string): string;

export interface NodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
}

export declare function startNodeServer(options: {
  script: string;
  env: Record<string, string | undefined>;
  readyPath?: string;
  anyStatus?: boolean;
  nodeArgs?: string[];
  cwd?: string;
  logFile?: string;
  timeoutMs?: number;
  name?: string;
}): Promise<NodeServer>;
