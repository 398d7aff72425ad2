import { add, decimal, equalDecimals, format, integerDigits, minorUnits, multiply, roundHalfUp, shift, subtract } from '../src/kernel/decimal';
import { lineAmounts, orderTotals } from '../src/modules/orders';

const round = (text: string, digits: number) => format(roundHalfUp(decimal(text), digits));

describe('exact decimals', () => {
  test('equalDecimals compares numbers, not their spelling', () => {
    expect([equalDecimals('1.50', '1.5'), equalDecimals('0', '-0.000'), equalDecimals('19.99', '19.990001')]).toEqual([true, true, false]);
  });


  test('round half up, away from zero, to any number of digits', () => {
    expect([round('0.005', 2), round('0.0049', 2), round('-0.005', 2), round('2.5', 0), round('1.2', 4), round('-0.0001', 2)]).toEqual([
      '0.01',
      '0.00',
      '-0.01',
      '3',
      '1.2000',
      '0.00',
    ]);
  });

  test('arithmetic is exact where floats drift', () => {
    let sum = decimal('0');
    for (let i = 0; i < 1000; i++) sum = add(sum, decimal('0.1'));
    expect(format(sum)).toBe('100.0');
    expect(format(multiply(decimal('3'), decimal('19.99')))).toBe('59.97');
    expect(format(subtract(decimal('0.3'), decimal('0.1')))).toBe('0.2');
    expect(format(shift(decimal('12.5'), 2))).toBe('0.125');
    expect(integerDigits(decimal('999999999999999.9999'))).toBe(15);
    expect(integerDigits(decimal('0.5'))).toBe(1);
  });

  test('minor units per currency come from ICU', () => {
    expect(['EUR', 'JPY', 'KWD'].map(minorUnits)).toEqual([2, 0, 3]);
  });

  test('line and order amounts keep subtotal − discount = total', () => {
    const lines = ['0.01', '0.02', '0.03'].map((unitPrice) => lineAmounts({ quantity: '1.5', unitPrice, discountPercent: '33.3333' }, 'EUR'));
    for (const line of lines) expect(format(subtract(decimal(line.subtotal), decimal(line.discountAmount)))).toBe(line.total);
    const totals = orderTotals(lines, 'EUR');
    expect(format(subtract(decimal(totals.subtotal), decimal(totals.discountTotal)))).toBe(totals.total);
    // 0.015 → 0.02, 0.03, 0.045 → 0.05; two thirds of each: 0.01, 0.02, 0.03.
    expect(totals).toEqual({ subtotal: '0.10', discountTotal: '0.04', total: '0.06' });
  });
});
