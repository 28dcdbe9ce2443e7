/** The `ethers` global of a Lit Action (ethers v5), bundled into `--compat lit` functions whose source names it. */
export { ethers } from 'ethers5'
