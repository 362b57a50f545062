/** Types of lib/env.js (see there). */

export type Env = Readonly<Record<string, string | undefined>>;

export interface IntegerRange {
  fallback: number;
  /** Default 1. */
  min?: number;
  max?: number;
}

export function commaList(raw: string): string[];
export function stringFromEnv(env: Env, name: string): string | undefined;
export function requiredStringFromEnv(env: Env, name: string): string;
export function listFromEnv(env: Env, name: string, fallback?: readonly string[]): string[];
export function booleanFromEnv(env: Env, name: string, fallback: boolean): boolean;
export function integerFromEnv(env: Env, name: string, range: IntegerRange): number;
export function positiveNumberFromEnv(env: Env, name: string, fallback: number): number;
