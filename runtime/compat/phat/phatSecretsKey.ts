/**
 * The teefn secret a `--compat phat` function receives as `main`'s second argument (`scriptArgs[1]`): Phat's
 * secrets are one string, teefn's a record of them. `teefn run --compat phat --secrets <string>` sets it.
 */
export const phatSecretsKey = 'phatSecrets'
