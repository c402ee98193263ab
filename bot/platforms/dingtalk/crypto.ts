import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

/**
 * DingTalk's three signing schemes: the robot callback `sign` header, the card
 * callback `x-ddpaas-signature`, and the event-subscription AES envelope (WXBizMsgCrypt-style, PKCS#7 to
 * 32-byte blocks). All comparisons are constant-time.
 */

/** Constant-time string comparison (length leaks, content does not). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  if (x.length !== y.length) {
    timingSafeEqual(x, x)
    return false
  }
  return timingSafeEqual(x, y)
}

/** Robot HTTP callback: `base64(HmacSHA256(appSecret, timestamp + "\n" + appSecret))`. */
export function robotSign(appSecret: string, timestamp: string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`, 'utf8').digest('base64')
}

/** Card HTTP callback: `base64(HmacSHA256(apiSecret, String(timestamp)))`. */
export function cardCallbackSign(apiSecret: string, timestamp: string): string {
  return createHmac('sha256', apiSecret).update(timestamp, 'utf8').digest('base64')
}

export class DingtalkCryptoError extends Error {
  constructor(
    readonly code: 'bad_key' | 'bad_ciphertext' | 'bad_padding' | 'bad_length' | 'owner_mismatch',
    message: string,
  ) {
    super(message)
    this.name = 'DingtalkCryptoError'
  }
}

/** `sha1_hex(concat(sort([token, timestamp, nonce, encrypt])))`. */
export function eventSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex')
}

function aesKeyOf(aesKey: string): Buffer {
  const key = Buffer.from(`${aesKey}=`, 'base64')
  if (aesKey.length !== 43 || key.length !== 32)
    throw new DingtalkCryptoError('bad_key', 'aes key must be 43 chars')
  return key
}

/** Decrypts an event `encrypt` value; checks the PKCS#7 (block 32) padding and the trailing owner key. */
export function decryptEvent(aesKey: string, ownerKey: string, encrypt: string): string {
  const key = aesKeyOf(aesKey)
  let plain: Buffer
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
    decipher.setAutoPadding(false)
    plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()])
  } catch {
    throw new DingtalkCryptoError('bad_ciphertext', 'cannot decrypt')
  }
  const pad = plain[plain.length - 1] ?? 0
  if (pad < 1 || pad > 32 || pad > plain.length) throw new DingtalkCryptoError('bad_padding', 'bad padding')
  const body = plain.subarray(0, plain.length - pad)
  if (body.length < 20) throw new DingtalkCryptoError('bad_length', 'plaintext too short')
  const len = body.readUInt32BE(16)
  if (20 + len > body.length) throw new DingtalkCryptoError('bad_length', 'bad message length')
  const msg = body.subarray(20, 20 + len).toString('utf8')
  const owner = body.subarray(20 + len).toString('utf8')
  if (!sameSecret(owner, ownerKey)) throw new DingtalkCryptoError('owner_mismatch', 'owner key mismatch')
  return msg
}

/** Encrypts a plaintext the same way (used for the `success` answer). */
export function encryptEvent(aesKey: string, ownerKey: string, plaintext: string, random16?: Buffer): string {
  const key = aesKeyOf(aesKey)
  const msg = Buffer.from(plaintext, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(msg.length, 0)
  const raw = Buffer.concat([random16 ?? randomBytes(16), len, msg, Buffer.from(ownerKey, 'utf8')])
  const pad = 32 - (raw.length % 32)
  const padded = Buffer.concat([raw, Buffer.alloc(pad, pad)])
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64')
}

/** The JSON answer DingTalk expects after an event push. */
export function encryptedSuccess(
  token: string,
  aesKey: string,
  ownerKey: string,
  timestamp: string,
  nonce: string,
): { msg_signature: string; timeStamp: string; nonce: string; encrypt: string } {
  const encrypt = encryptEvent(aesKey, ownerKey, 'success')
  return {
    msg_signature: eventSignature(token, timestamp, nonce, encrypt),
    timeStamp: timestamp,
    nonce,
    encrypt,
  }
}
