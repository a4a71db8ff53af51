"""Health: the service is up when every dependency answers."""
import logging

from chalicelib.core.errors import Unavailable

log = logging.getLogger("messaging.health")


class Health:
    def __init__(self, checks):
        self._checks = checks  # name -> callable that raises if the dependency is down

    def check(self):
        """{"status": "ok"} if every dependency answered; Unavailable naming those that did not."""
        failing = []
        for name, probe in self._checks.items():
            try:
                probe()
            except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
                log.warning("health check %s failed: %s", name, type(exc).__name__)
                failing.append(name)
        if failing:
            raise Unavailable(f"Not answering: {', '.join(failing)}.", "dependency_down")
        return {"status": "ok"}
