/** Where the operator key is kept: this tab's session only, never localStorage or a cookie. */
const storageKey = 'teefn.operatorKey'

/** The operator key typed into the page, if any. */
export function readOperatorKey(): string | undefined {
  return sessionStorage.getItem(storageKey) || undefined
}

/** Keeps (or, with an empty value, forgets) the operator key for this tab. */
export function writeOperatorKey(value: string | undefined): void {
  if (value) sessionStorage.setItem(storageKey, value)
  else sessionStorage.removeItem(storageKey)
}
