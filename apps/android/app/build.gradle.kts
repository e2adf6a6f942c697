plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.edgekit.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.edgekit.sample"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // ExecuTorch's AAR ships arm64-v8a and x86_64 (emulator) native libraries.
        ndk { abiFilters += listOf("arm64-v8a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
    // model.pte is memory-mapped by ExecuTorch after being copied out of the APK: keep it uncompressed.
    androidResources {
        noCompress += listOf("pte", "bin")
    }
}

dependencies {
    // Same version as the executorch pip wheel that exported the .pte (requirements/lock.txt).
    implementation("org.pytorch:executorch-android:1.5.1")
}
