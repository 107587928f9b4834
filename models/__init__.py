"""Headroom's domain: metric model, forecasting, anomaly detection, planning. No Qt here."""
