import { describe, expect, it } from 'vitest'
import {
  cardCallbackSign,
  DingtalkCryptoError,
  decryptEvent,
  encryptEvent,
  encryptedSuccess,
  eventSignature,
  robotSign,
  sameSecret,
} from './crypto'

// Vectors from the official DingTalk-Callback-Crypto repo.
const V = {
  token: 'mryue',
  aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
  owner: 'ding6ccabc44d2c8d38b',
  timestamp: '1608001896814',
  nonce: 'WL4PK6yA',
  encrypt:
    '0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3',
}

describe('DingTalk crypto', () => {
  it('signs robot callbacks like the documented vector', () => {
    expect(robotSign('test-app-secret', '1700000000000')).toBe('dhJB8TJ0cHPEbwpUauugV2Wz8v4qlWoO+C42nEhJW+c=')
  })

  it('signs card callbacks like the documented vector', () => {
    expect(cardCallbackSign('mySecret', '1700000000000')).toBe('t3jqwt0WBVsvNpgD+ncljxce56XsNOeEYafngX/BHjc=')
  })

  it('verifies and decrypts the official event vector', () => {
    expect(eventSignature(V.token, V.timestamp, V.nonce, V.encrypt)).toBe(
      '03044561471240d4a14bb09372dfcfd4fd0e40cb',
    )
    expect(decryptEvent(V.aesKey, V.owner, V.encrypt)).toBe('{"EventType":"check_url"}')
  })

  it('refuses a foreign owner key and tampered ciphertext', () => {
    expect(() => decryptEvent(V.aesKey, 'dingOTHER', V.encrypt)).toThrow(DingtalkCryptoError)
    const tampered = `A${V.encrypt.slice(1)}`
    expect(() => decryptEvent(V.aesKey, V.owner, tampered)).toThrow(DingtalkCryptoError)
  })

  it('round-trips the encrypted success answer', () => {
    const r = encryptedSuccess(V.token, V.aesKey, V.owner, '1700000000000', 'nonce123')
    expect(eventSignature(V.token, r.timeStamp, r.nonce, r.encrypt)).toBe(r.msg_signature)
    expect(decryptEvent(V.aesKey, V.owner, r.encrypt)).toBe('success')
    const fixed = encryptEvent(V.aesKey, V.owner, '{"EventType":"check_url"}', Buffer.alloc(16, 1))
    expect(decryptEvent(V.aesKey, V.owner, fixed)).toBe('{"EventType":"check_url"}')
  })

  it('compares secrets without short-circuiting on length', () => {
    expect(sameSecret('abc', 'abc')).toBe(true)
    expect(sameSecret('abc', 'abd')).toBe(false)
    expect(sameSecret('abc', 'abcd')).toBe(false)
  })
})
