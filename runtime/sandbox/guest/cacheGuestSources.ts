/**
 * `npm run build` runs this once dist/ holds the compiled guest files: it writes their minified form beside
 * `loadGuestSources.js`, so that built processes start without esbuild (see `writeGuestSourcesCache`).
 */
import { writeGuestSourcesCache } from './loadGuestSources.js'

writeGuestSourcesCache()
