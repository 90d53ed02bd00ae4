//! The built-in catalog of SageMaker real-time inference instance types.
//!
//! Prices are on-demand USD per hour for real-time hosting in us-east-1. Each entry says where its
//! price comes from and whether it was checked; a scenario's `pricing` section overrides any of
//! them. Prices change: treat the catalog as a dated snapshot, not a quote.

use serde::Serialize;

/// The date the catalog's prices describe.
pub const PRICES_AS_OF: &str = "2025-06-01";
pub const PRICES_REGION: &str = "us-east-1";

/// SageMaker Serverless Inference prices in `PRICES_REGION`, US dollars per GB-second of the
/// memory size (billed by the millisecond). The on-demand rate is AWS's published one (its
/// benchmarking toolkit's table: $0.00002 per GB-second, $0.0000200/s at 1024 MB to
/// $0.0001200/s at 6144 MB); the provisioned-concurrency rates were not in the sources checked
/// and are estimates (AWS Lambda's ratios applied to SageMaker's on-demand rate). A scenario's
/// `serverlessDefaults` overrides each.
#[derive(Clone, Copy, PartialEq, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerlessPrices {
    pub on_demand_usd_per_gb_second: f64,
    pub provisioned_usd_per_gb_second: f64,
    pub provisioned_inference_usd_per_gb_second: f64,
}

pub const SERVERLESS_PRICES: ServerlessPrices = ServerlessPrices {
    on_demand_usd_per_gb_second: 0.000_02,
    provisioned_usd_per_gb_second: 0.000_005,
    provisioned_inference_usd_per_gb_second: 0.000_011_7,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PriceSource {
    /// Stated in one of the reference articles (seed 004) and consistent with the price list.
    ReferenceArticle,
    /// Taken from the public SageMaker price list for the region; not re-checked on `PRICES_AS_OF`.
    PriceListUnverified,
}

#[derive(Clone, Copy, PartialEq, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceType {
    pub name: &'static str,
    pub vcpus: u32,
    pub memory_gib: f64,
    /// Number of accelerators (GPUs or Inferentia chips).
    pub accelerators: u32,
    /// Accelerator model, empty for CPU types.
    pub accelerator: &'static str,
    pub accelerator_memory_gib: f64,
    pub price_usd_per_hour: f64,
    pub price_source: PriceSource,
    /// SageMaker does not auto scale burstable (t2) instances.
    pub burstable: bool,
}

const fn cpu(name: &'static str, vcpus: u32, memory_gib: f64, price: f64) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_gib,
        accelerators: 0,
        accelerator: "",
        accelerator_memory_gib: 0.0,
        price_usd_per_hour: price,
        price_source: PriceSource::PriceListUnverified,
        burstable: false,
    }
}

const fn gpu(
    name: &'static str,
    vcpus: u32,
    memory_gib: f64,
    accelerators: u32,
    accelerator: &'static str,
    accelerator_memory_gib: f64,
    price: f64,
) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_gib,
        accelerators,
        accelerator,
        accelerator_memory_gib,
        price_usd_per_hour: price,
        price_source: PriceSource::PriceListUnverified,
        burstable: false,
    }
}

const fn from_article(t: InstanceType) -> InstanceType {
    InstanceType { price_source: PriceSource::ReferenceArticle, ..t }
}

/// Every built-in instance type, sorted by name.
pub const CATALOG: &[InstanceType] = &[
    cpu("ml.c5.2xlarge", 8, 16.0, 0.408),
    cpu("ml.c5.4xlarge", 16, 32.0, 0.816),
    cpu("ml.c5.xlarge", 4, 8.0, 0.204),
    gpu("ml.g4dn.2xlarge", 8, 32.0, 1, "NVIDIA T4", 16.0, 0.94),
    from_article(gpu("ml.g4dn.xlarge", 4, 16.0, 1, "NVIDIA T4", 16.0, 0.736)),
    gpu("ml.g5.2xlarge", 8, 32.0, 1, "NVIDIA A10G", 24.0, 1.515),
    gpu("ml.g5.xlarge", 4, 16.0, 1, "NVIDIA A10G", 24.0, 1.408),
    gpu("ml.g6.xlarge", 4, 16.0, 1, "NVIDIA L4", 24.0, 1.167),
    gpu("ml.inf2.xlarge", 4, 16.0, 1, "AWS Inferentia2", 32.0, 0.99),
    cpu("ml.m4.xlarge", 4, 16.0, 0.28),
    cpu("ml.m5.2xlarge", 8, 32.0, 0.461),
    cpu("ml.m5.large", 2, 8.0, 0.115),
    cpu("ml.m5.xlarge", 4, 16.0, 0.23),
    from_article(gpu("ml.p2.xlarge", 4, 61.0, 1, "NVIDIA K80", 12.0, 1.125)),
    gpu("ml.p3.2xlarge", 8, 61.0, 1, "NVIDIA V100", 16.0, 3.825),
    gpu("ml.p4d.24xlarge", 96, 1152.0, 8, "NVIDIA A100 40GB", 320.0, 37.688),
    gpu("ml.p5.48xlarge", 192, 2048.0, 8, "NVIDIA H100 80GB", 640.0, 113.068),
    InstanceType { burstable: true, ..cpu("ml.t2.medium", 2, 4.0, 0.056) },
];

pub fn lookup(name: &str) -> Option<&'static InstanceType> {
    CATALOG.iter().find(|t| t.name == name)
}

/// Names of the catalog, for error messages and suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|t| t.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_unique_and_priced() {
        assert!(CATALOG.windows(2).all(|w| w[0].name < w[1].name), "sorted by name");
        assert!(CATALOG.iter().all(|t| t.price_usd_per_hour > 0.0 && t.vcpus > 0));
        // The reference article's figure: two ml.g4dn.xlarge cost $1.472/h.
        let g4 = lookup("ml.g4dn.xlarge").unwrap();
        assert!((2.0 * g4.price_usd_per_hour - 1.472).abs() < 1e-9);
        assert_eq!(lookup("ml.p2.xlarge").unwrap().price_usd_per_hour, 1.125);
    }
}
