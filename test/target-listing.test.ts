import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TargetListing, TARGET_LISTING_TABLE } from '../src/target-listing.js';

describe('TargetListing', () => {
  it('keeps the listing page by page in a private database and answers sizes by ID', () => {
    const listing = TargetListing.standalone();
    const first = [{ id: 'a', size: 1 }, { id: 'b', size: 2 }];
    expect(listing.add(first)).toBe(first);
    expect(listing.add([{ id: 'c', size: 3 }, { id: 'a', size: 4 }])).toEqual([{ id: 'c', size: 3 }]); // named again: kept once
    expect(listing.size('c')).toBe(3);
    expect(listing.size('a')).toBe(1);
    expect(listing.size('zz')).toBeUndefined();
    listing.close();
    expect(() => listing.size('a')).toThrow(/not open/);
  });

  it('on a given connection, is a table that connection can join, and starts empty each time', () => {
    const db = new Database('');
    try {
      TargetListing.on(db).add([{ id: 'x', size: 9 }]);
      expect(db.prepare(`SELECT id, size FROM ${TARGET_LISTING_TABLE}`).all()).toEqual([{ id: 'x', size: 9 }]);
      const again = TargetListing.on(db);
      expect(again.size('x')).toBeUndefined();
      again.close(); // the connection is not the listing's to close
      expect(db.open).toBe(true);
    } finally {
      db.close();
    }
  });
});
