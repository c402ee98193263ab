import { describe, expect, it } from 'vitest'
import { csvCell, csvLines } from './csv'

describe('csvCell', () => {
  it('defuses formula-looking text, also after leading spaces', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`)
    expect(csvCell('+15550100')).toBe(`"'+15550100"`)
    expect(csvCell('-1')).toBe(`"'-1"`)
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`)
    expect(csvCell('\t=1')).toBe(`"'\t=1"`)
    expect(csvCell('  =1+1')).toBe(`"'  =1+1"`)
  })
  it('quotes plain text and doubles quotes', () => {
    expect(csvCell('中国银行, "总行"')).toBe('"中国银行, ""总行"""')
    expect(
      csvLines([
        ['a', 'b'],
        ['1', '2'],
      ]),
    ).toBe('"a","b"\r\n"1","2"')
  })
})
