import Type from 'typebox'

/** The node config's value types, shared by its sections. */
export const Hex = (bytes: number, description: string) =>
  Type.String({ pattern: `^0x[0-9a-fA-F]{${bytes * 2}}$`, description })
export const Address = Hex(20, 'an EVM address')
export const Bytes32 = Hex(32, '32 bytes as 0x-hex')
/** A secret is never written in the file itself: `env:NAME` reads the environment variable NAME. */
export const SecretReference = Type.String({
  pattern: '^env:[A-Za-z_][A-Za-z0-9_]*$',
  description: 'env:VARIABLE_NAME',
})

export const HttpUrl = Type.String({ pattern: '^https?://' })
export const WsUrl = Type.String({ pattern: '^wss?://' })
/** How many of the worker's endpoints must agree; 1 trusts any single one (refused unless written out). */
export const RpcQuorum = Type.Integer({ minimum: 1, maximum: 16 })
