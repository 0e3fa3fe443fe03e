import PactaAPI
