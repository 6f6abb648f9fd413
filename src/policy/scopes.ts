// API-key scopes: a list of names, or ['*'] for everything. Exact match only; no globbing surprises.
export function scopeAllows(scope: readonly string[], name: string): boolean {
  return scope.includes('*') || scope.includes(name);
}
