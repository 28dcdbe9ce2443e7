/** The largest bundle teefn builds, stores or runs: 1 MiB. */
export const maxBundleBytes = 1024 * 1024
