/**
 * The vault firewall (network rules). A caller whose address is outside the rules gets the service's
 * 403 ForbiddenByFirewall, which names the address, the caller and the vault. Every real client reaches
 * the emulator from 127.0.0.1, so the address checked is the `clientAddress` behaviour.
 */
import type { VaultConfig } from '../config.js'
import type { Principal } from './auth.js'
import { KvError } from './errors.js'

function ipv4(text: string): number | undefined {
  const parts = text.trim().split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined
    value = value * 256 + Number(part)
  }
  return value
}

/** Whether `address` matches an ip rule: an IPv4 address or a CIDR range (`a.b.c.d/n`). */
export function matchesIpRule(address: string, rule: string): boolean {
  const addr = ipv4(address)
  const [base, bits] = rule.trim().split('/')
  const net = ipv4(base)
  if (addr === undefined || net === undefined) return false
  const prefix = bits === undefined ? 32 : Number(bits)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false
  const size = 2 ** (32 - prefix)
  return Math.floor(addr / size) === Math.floor(net / size)
}

/** Throws the service's 403 when the vault's network rules keep `address` out. */
export function checkFirewall(config: VaultConfig, address: string, principal: Principal): void {
  const acls = config.networkAcls
  if (!acls || acls.defaultAction !== 'Deny') return
  if ((acls.ipRules ?? []).some(rule => matchesIpRule(address, rule))) return
  throw new KvError(
    403,
    'Forbidden',
    `Client address is not authorized and caller is not a trusted service.\r\nClient address: ${address}\r\nCaller: appid=${principal.appid};oid=${principal.oid};iss=${principal.issuer}\r\nVault: ${config.name};location=${config.location}`,
    'ForbiddenByFirewall'
  )
}
