import numpy as np

from vaxsim.sim.pools import FifoPool


def test_an_absorbed_pool_keeps_first_in_first_out_by_entry_day():
    pool, other = FifoPool(2), FifoPool(2)
    pool.add(3, np.array([1, 0]))
    pool.add(7, np.array([2, 1]))
    other.add(1, np.array([4, 0]))
    other.add(7, np.array([1, 1]))
    pool.absorb(other)
    assert pool.days.tolist() == [1, 3, 7]
    assert pool.counts.tolist() == [[4, 0], [1, 0], [3, 2]]
    assert pool.total.tolist() == [8, 2] and not other.total.any() and len(other.days) == 0
    taken, waited = pool.take(np.array([5, 0]), day=10)
    assert taken.tolist() == [5, 0]
    assert waited.tolist() == [4 * 9 + 1 * 7, 0]  # the day-1 people first, then day 3
