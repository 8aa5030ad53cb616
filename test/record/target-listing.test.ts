import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TargetListing, TARGET_LISTING_TABLE } from '../../src/record/target-listing.js';

describe('TargetListing', () => {
  it('keeps the listing page by page in a private database and answers each ID with its size and file UUID', () => {
    const listing = TargetListing.standalone();
    const first = [{ id: 'a', size: 1, file: 'f' }, { id: 'b', size: 2, file: 'f' }];
    expect(listing.add(first)).toBe(first);
    expect(listing.add([{ id: 'c', size: 3, file: 'f' }, { id: 'a', size: 4, file: 'f' }])).toEqual([{ id: 'c', size: 3, file: 'f' }]); // named again: kept once
    expect(listing.find('c')?.size).toBe(3);
    expect(listing.find('a')?.size).toBe(1);
    expect(listing.find('zz')).toBeUndefined();
    listing.close();
    expect(() => listing.find('a')).toThrow(/not open/);
  });

  it('on a given connection, is a table that connection can join, and starts empty each time', () => {
    const db = new Database('');
    try {
      TargetListing.on(db).add([{ id: 'x', size: 9, file: 'f' }]);
      expect(db.prepare(`SELECT id, size, file FROM ${TARGET_LISTING_TABLE}`).all()).toEqual([{ id: 'x', size: 9, file: 'f' }]);
      const again = TargetListing.on(db);
      expect(again.find('x')).toBeUndefined();
      again.close(); // the connection is not the listing's to close
      expect(db.open).toBe(true);
    } finally {
      db.close();
    }
  });
});
