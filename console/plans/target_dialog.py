"""Add an AWS Auto Scaling group target: group, profile, region, endpoint, the CloudWatch
metric that drives it, unit sizing.

No credentials are asked for or stored: boto3's own chain (profile, environment,
instance role) provides them. The metric defaults to the group's average EC2 CPU; a
custom namespace and metric (e.g. requests published by the application) can be named,
read per group through the ``AutoScalingGroupName`` dimension.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from console.plans.targets import STATISTICS, TargetConfig

UNIT_SUFFIX = {"utilisation": " % per instance (target)", "throughput": " per instance per s"}


class AsgTargetDialog(QDialog):
    def __init__(self, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add an AWS Auto Scaling group")
        self.taken = taken
        self.name, self.group = QLineEdit(), QLineEdit()
        self.profile, self.region, self.endpoint = QLineEdit(), QLineEdit(), QLineEdit()
        self.profile.setPlaceholderText("default credential chain")
        self.region.setPlaceholderText("from the profile")
        self.endpoint.setPlaceholderText("AWS (or a private endpoint URL)")
        # Not ``self.metric``: that would hide QWidget.metric(), which Qt calls to paint.
        self.cw_namespace, self.cw_metric = QLineEdit("AWS/EC2"), QLineEdit("CPUUtilization")
        self.cw_statistic = QComboBox()
        self.cw_statistic.addItems(STATISTICS)
        self.metric_kind = QComboBox()
        self.metric_kind.addItem("utilisation (average % per instance)", "utilisation")
        self.metric_kind.addItem("throughput (total; a Sum is read per second)", "throughput")
        self.metric_kind.currentIndexChanged.connect(self._on_kind)
        self.per_unit = QDoubleSpinBox()
        self.per_unit.setRange(0.01, 1e9)
        self.per_unit.setValue(60)
        self.per_unit.setSuffix(UNIT_SUFFIX["utilisation"])
        self.price = QDoubleSpinBox()
        self.price.setRange(0, 1e4)
        self.price.setDecimals(3)
        self.price.setValue(0.2)
        self.price.setPrefix("$ ")
        self.minimum, self.maximum = QSpinBox(), QSpinBox()
        self.minimum.setRange(0, 10_000)
        self.maximum.setRange(0, 10_000)
        self.minimum.setValue(1)
        self.maximum.setValue(20)
        self.error = QLabel()
        self.error.setStyleSheet("color: #e5534b")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        for label, widget in (
            ("Name", self.name),
            ("Group", self.group),
            ("Profile", self.profile),
            ("Region", self.region),
            ("Endpoint URL", self.endpoint),
            ("CloudWatch namespace", self.cw_namespace),
            ("Metric", self.cw_metric),
            ("Statistic", self.cw_statistic),
            ("The metric is", self.metric_kind),
            ("One instance", self.per_unit),
            ("Price per instance-hour", self.price),
            ("Minimum", self.minimum),
            ("Maximum", self.maximum),
        ):
            form.addRow(label, widget)
        form.addRow(self.error)
        form.addRow(buttons)

    def config(self) -> TargetConfig:
        """The target as entered; ValueError with the reason when it is not valid."""
        name = self.name.text().strip() or self.group.text().strip()
        if name in self.taken:
            raise ValueError(f"a target named {name!r} already exists")
        if self.maximum.value() < self.minimum.value():
            raise ValueError("the maximum is below the minimum")
        return TargetConfig(
            name=name,
            kind="asg",
            group=self.group.text().strip(),
            profile=self.profile.text().strip() or None,
            region=self.region.text().strip() or None,
            endpoint_url=self.endpoint.text().strip() or None,
            metric_namespace=self.cw_namespace.text().strip(),
            metric_name=self.cw_metric.text().strip(),
            metric_statistic=self.cw_statistic.currentText(),
            metric_kind=str(self.metric_kind.currentData()),
            per_unit=self.per_unit.value(),
            price_per_unit_hour=self.price.value(),
            minimum=self.minimum.value(),
            maximum=self.maximum.value(),
        )

    def _on_kind(self) -> None:
        kind = str(self.metric_kind.currentData())
        self.per_unit.setSuffix(UNIT_SUFFIX[kind])
        self.per_unit.setValue(60 if kind == "utilisation" else 100)

    def accept(self) -> None:
        try:
            self.config()
        except ValueError as error:
            self.error.setText(str(error))
            return
        super().accept()
