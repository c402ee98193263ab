import { describe, expect, it } from 'vitest'
import { acceptFor, checkUpload, contentTypeOf } from './upload-rules'

const MB = 1024 * 1024

describe('upload rules of approval files', () => {
  it('accepts an invoice PDF and a phone photo', () => {
    expect(checkUpload({ name: '发票.pdf', type: 'application/pdf', size: 300_000 }, 'attachment')).toBeNull()
    expect(checkUpload({ name: 'IMG_0001.jpg', type: 'image/jpeg', size: 3 * MB }, 'image')).toBeNull()
  })

  it('refuses a program and a PDF in an image field, by type', () => {
    expect(checkUpload({ name: 'setup.exe', type: 'application/x-msdownload', size: 10 }, 'attachment')).toEqual({ reason: 'type' })
    expect(checkUpload({ name: '发票.pdf', type: 'application/pdf', size: 10 }, 'image')).toEqual({ reason: 'type' })
  })

  it('refuses images over 10 MB, other files over 20 MB, and empty files', () => {
    expect(checkUpload({ name: 'a.png', type: 'image/png', size: 10 * MB + 1 }, 'image')).toEqual({ reason: 'size', limitMb: 10 })
    expect(checkUpload({ name: 'a.zip', type: 'application/zip', size: 20 * MB + 1 }, 'attachment')).toEqual({ reason: 'size', limitMb: 20 })
    expect(checkUpload({ name: 'a.zip', type: 'application/zip', size: 20 * MB }, 'attachment')).toBeNull()
    expect(checkUpload({ name: 'a.txt', type: 'text/plain', size: 0 }, 'attachment')).toEqual({ reason: 'empty' })
  })

  it('takes the type from the extension when the browser gives none (HEIC photos)', () => {
    expect(contentTypeOf({ name: 'IMG_1.HEIC', type: '' })).toBe('image/heic')
    expect(checkUpload({ name: 'IMG_1.HEIC', type: '', size: MB }, 'image')).toBeNull()
  })

  it('lets the picker offer only images for an image field', () => {
    expect(acceptFor('image')).toContain('image/jpeg')
    expect(acceptFor('image')).not.toContain('pdf')
    expect(acceptFor('attachment')).toContain('.xlsx')
  })
})
