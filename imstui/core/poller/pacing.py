"""How fast the poller may ask (:class:`Pacer`): the token bucket, the global pauses (a gateway throttle, a streak
of failures, refused credentials) and the lone probe after a throttle. It applies :mod:`.policy` and keeps the
state; the loop asks it before every request and tells it every answer."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime

from imstui.api.errors import ImstuiError
from imstui.api.sanitize import sanitize
from imstui.core.poller import policy
from imstui.core.poller.events import Throttle
from imstui.core.poller.policy import ErrorKind
from imstui.core.poller.schedule import Slot, ThrottleEpisode, TokenBucket
from imstui.core.poller.settings import PollSettings

log = logging.getLogger("imstui.core.poller")


class Pacer:
    def __init__(self, settings: PollSettings, rng: random.Random) -> None:
        self.settings = settings
        self._rng = rng
        self.bucket = TokenBucket(settings)
        self.throttle = ThrottleEpisode()
        self.backoff_until = 0.0  # error streak, refused credentials (the operator may override it; a throttle holds)
        self.probe = False  # after a throttle: one request at a time until one gets through
        self.error_streak = 0
        self.sent = 0  # dispatch counter

    def hold(self) -> float:
        """No request before this clock time."""
        return max(self.backoff_until, self.throttle.until)

    def max_in_flight(self) -> int:
        return 1 if self.probe else self.settings.max_concurrency

    def dispatched(self, slot: Slot) -> None:
        self.sent += 1
        slot.sent_seq = self.sent

    def jittered(self, delay: float) -> float:
        return policy.jittered(delay, self.settings.jitter, self._rng)

    def retry_delay(self, errors: int) -> float:
        return self.jittered(policy.error_delay(max(1, errors), self.settings))

    def operator_asked(self, now: float) -> None:
        """Poll now was asked for: an error-streak or credentials pause no longer holds (a throttle does)."""
        self.backoff_until = min(self.backoff_until, now)

    def answered(self) -> None:
        """A good answer: the streaks end, the probe got through."""
        self.error_streak = 0
        self.throttle.streak = 0
        self.probe = False

    def failed(self, slot: Slot, error: ImstuiError, now: float, sent_seq: int) -> ErrorKind:
        """Account for a failed poll of ``slot`` (sent as dispatch ``sent_seq``): global pauses, the job's error
        count (throttles are nobody's fault and do not count)."""
        settings = self.settings
        kind = policy.classify(error)
        if kind is ErrorKind.THROTTLE:
            self._throttled(error, now, sent_seq)
            return kind
        self.probe = False  # the gateway let the request through
        slot.errors += 1
        if kind is ErrorKind.AUTH:
            self._extend(now + settings.auth_backoff)
        elif kind is ErrorKind.TRANSIENT:
            self.error_streak += 1
            pause = policy.streak_pause(self.error_streak, settings)
            if pause is not None:
                self._extend(now + self.jittered(pause))
            retry_after = policy.retry_after_of(error)
            if retry_after is not None:
                self._extend(now + min(retry_after, policy.MAX_PAUSE))
        return kind

    def _throttled(self, error: ImstuiError, now: float, sent_seq: int) -> None:
        """Pause every poll until the throttle window can have passed; lower the budget; probe afterwards."""
        episode = self.throttle
        if sent_seq <= episode.reacted_seq:
            return  # sent before the last throttle answer arrived: that pause already covers it
        episode.streak += 1
        episode.reacted_seq = self.sent
        episode.window = policy.window_of(error)
        episode.retry_after = policy.retry_after_of(error)
        pause = policy.throttle_pause(episode.retry_after, episode.window, episode.streak, self.settings)
        episode.until = max(episode.until, now + pause)
        self.bucket.throttled(now, episode.window, resume_at=episode.until)
        self.probe = True
        log.warning("throttled by the API gateway (%s); no poll for %.0f s", sanitize(str(error))[:200], pause)

    def _extend(self, until: float) -> None:
        self.backoff_until = max(self.backoff_until, until)

    def throttle_status(self, now: float, wall: Callable[[float], datetime]) -> Throttle | None:
        episode = self.throttle
        if episode.until <= now:
            return None
        return Throttle(wall(episode.until), episode.window, episode.retry_after, self.bucket.rate)
